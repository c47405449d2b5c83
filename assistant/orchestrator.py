"""The deterministic planner: which images, whether to retrieve, then answer — as events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from assistant.events import Event
from assistant.resolve import resolve
from assistant.turn import Services, begin_turn


class Orchestrator:
    def __init__(self, services: Services) -> None:
        self.services = services

    def run(self, session_id: str, text: str, images: list[Path]) -> Iterator[Event]:
        turn = yield from begin_turn(self.services, session_id, text, images)
        if turn is None:
            return
        targets = resolve(turn.text, list(turn.images.values()), turn.new)
        for image_id in targets:
            yield from turn.look(image_id)
        yield from turn.search(turn.question, bool(targets))
        seen = [i for i in targets if i in turn.facts]  # an image that failed to read is left out
        yield from turn.answer(turn.request(turn.question, seen))
