"""What code works out for a turn before the model writes, shared by both planners: whether
the knowledge base has a picture of the thing asked for, and which picture shows it."""

from __future__ import annotations

from collections.abc import Generator

from assistant.events import Event
from assistant.pictures import (
    asked_picture,
    figure_title,
    only_which,
    shown_figure,
    which_asked,
    which_note,
    which_picture,
)
from assistant.turn import TurnContext


def picture_in_base(turn: TurnContext) -> Generator[Event, None, bool]:
    """ "Is there a picture of a bird in the knowledge base?": yes with the pictures found as
    sources, or an honest no without asking the model. Returns whether it answered."""
    thing = asked_picture(turn.text)
    if thing is None or not turn.services.knowledge.list():
        return False
    found = yield from turn.find_pictures(thing)
    if not found:
        yield from turn.answer(None, f"No: I found no picture of {thing} in your knowledge base.")
        return True
    if shown_figure(turn.text):  # "show me the wiring diagram": the figure is the answer
        said = " ".join(
            f"Here is {figure_title(hit)} from {hit.citation()} [{n}]."
            for n, hit in enumerate(found[:2], start=1)
        )
        yield from turn.answer(None, said)
        return True
    listed = ", ".join(f"[{n}] {hit.source}" for n, hit in enumerate(found, start=1))
    turn.notes.append(
        f'Searching the knowledge base\'s pictures for "{thing}" found {listed}: the answer '
        "is yes; name the picture and cite it."
    )
    yield from turn.answer(turn.request(turn.question, []))
    return True


def in_order(turn: TurnContext, image_ids: list[str]) -> list[str]:
    """Image ids in the order the chat got the pictures (img-1 before img-2)."""
    return sorted(image_ids, key=lambda i: turn.images[i].number)


def which_targets(turn: TurnContext, image_ids: list[str]) -> list[str]:
    """The pictures a turn is about: for "which picture shows X?" about fewer than two, all
    of the chat's pictures, since the question weighs them against each other."""
    if which_asked(turn.text) and len(image_ids) < 2 <= len(turn.images):
        return in_order(turn, list(turn.images))
    return image_ids


def which_shows(turn: TurnContext, seen: list[str]) -> Generator[Event, None, bool]:
    """ "Which of the two pictures shows a vehicle?" over the pictures ``seen``: when that is
    all the question asks, code's finding is the reply (returns True); otherwise the finding
    becomes a note for the model (returns False)."""
    thing = which_asked(turn.text)
    if not thing or len(seen) < 2:
        return False
    encode = turn.services.knowledge.embedding.encode
    ordered = in_order(turn, seen)
    pictures = {i: turn.read(i) for i in ordered}
    if only_which(turn.text):
        # Counting pictures and weighing labels is code's job: the finding is the reply.
        found = which_picture(thing, pictures, encode)
        yield from turn.answer(None, found.text, [found.picture] if found.picture else ordered)
        return True
    turn.notes.append(which_note(thing, pictures, encode))
    return False
