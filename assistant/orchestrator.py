"""The deterministic planner: which images, whether to retrieve, then answer — as events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from assistant.events import Event
from assistant.pictures import asked_picture, only_which, which_asked, which_note, which_picture
from assistant.resolve import resolve
from assistant.turn import Services, TurnContext, begin_turn
from knowledge_base.shelves import Shelves


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
        if turn is None:
            return
        thing = asked_picture(turn.text)
        if thing is not None and services.knowledge.list():
            yield from self._picture_in_base(turn, thing)
            return
        targets = resolve(turn.text, list(turn.images.values()), turn.new)
        thing = which_asked(turn.text)
        if thing and len(targets) < 2 <= len(turn.images):
            targets = sorted(turn.images, key=lambda i: turn.images[i].number)
        for image_id in targets:
            yield from turn.look(image_id)
        yield from turn.search(turn.search_query(), bool(targets))
        seen = [i for i in targets if i in turn.facts]  # an image that failed to read is left out
        if thing and len(seen) > 1:
            encode = services.knowledge.embedding.encode
            ordered = sorted(seen, key=lambda i: turn.images[i].number)
            pictures = {i: turn.facts[i] for i in ordered}
            if only_which(turn.text):
                # Counting pictures and weighing labels is code's job: the finding is the reply.
                found = which_picture(thing, pictures, encode)
                shown = [found.picture] if found.picture else ordered
                yield from turn.answer(None, found.text, shown)
                return
            turn.notes.append(which_note(thing, pictures, encode))
        yield from turn.answer(turn.request(turn.question, seen))

    @staticmethod
    def _picture_in_base(turn: TurnContext, thing: str) -> Iterator[Event]:
        """ "Is there a picture of a bird in the knowledge base?": yes with the pictures found
        as sources, or an honest no without asking the model."""
        found = yield from turn.find_pictures(thing)
        if not found:
            yield from turn.answer(
                None, f"No: I found no picture of {thing} in your knowledge base."
            )
            return
        listed = ", ".join(f"[{n}] {hit.source}" for n, hit in enumerate(found, start=1))
        turn.notes.append(
            f'Searching the knowledge base\'s pictures for "{thing}" found {listed}: the answer '
            "is yes; name the picture and cite it."
        )
        yield from turn.answer(turn.request(turn.question, []))
