"""The deterministic planner: which images, whether to retrieve, then answer — as events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from assistant.events import Event
from assistant.findings import picture_in_base, which_shows, which_targets
from assistant.resolve import about_pictures, picture_as_query, resolve
from assistant.turn import Services, TurnContext, begin_turn
from knowledge_base.shelves import Shelves

NOTHING_ABOUT_IT = (
    "I found nothing about it in your documents: none holds the words printed in the picture "
    "or what it shows, and none of their pictures looks like it."
)


class Orchestrator:
    def __init__(self, services: Services) -> None:
        self.services = services

    def run(
        self,
        session_id: str,
        text: str,
        images: list[Path],
        knowledge: Shelves | None = None,
        detailed: bool = False,
    ) -> Iterator[Event]:
        services = self.services.reading(knowledge)
        turn = yield from begin_turn(services, session_id, text, images, detailed)
        if turn is None or (yield from picture_in_base(turn)):
            return
        yield from plan(turn)


def plan(turn: TurnContext) -> Iterator[Event]:
    """The rest of a begun turn, decided in code (also where the agent planner gives up)."""
    targets = which_targets(turn, resolve(turn.text, list(turn.images.values()), turn.new))
    for image_id in targets:
        yield from turn.look(image_id)
    seen = [i for i in targets if i in turn.facts]  # an image that failed to read is left out
    if seen and picture_as_query(turn.text):
        if not (yield from turn.search_with_picture(seen[-1])):
            yield from turn.answer(None, NOTHING_ABOUT_IT)
            return
        turn.about_pictures = False  # the documents answer it
        yield from turn.answer(turn.request(turn.question, seen))
        return
    pointed = bool(targets) and about_pictures(turn.text, turn.new)
    yield from turn.search(turn.search_query(), pointed)
    # A follow-up that points at no picture is still about it unless the documents found
    # hold what it asks about.
    turn.about_pictures = pointed or (bool(targets) and not turn.asks_documents(targets))
    if (yield from which_shows(turn, seen)):
        return
    yield from turn.answer(turn.request(turn.question, seen))
