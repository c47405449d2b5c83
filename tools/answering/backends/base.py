"""The protocol every answering backend implements."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from tools.answering.prompt import AnswerRequest


class AnswerBackend(Protocol):
    key: str
    #: True when the backend looks at pixels itself; False when it reads image facts as text.
    sees_pixels: bool
    #: Answers that must finish before a new one can start (0 when it would start at once).
    in_use: int
    #: Answers generated at once (a server's slots; 1 for one model in this process).
    parallel: int

    def render(self, request: AnswerRequest) -> str:
        """This turn's user message exactly as the model gets it (kept with the turn, so the
        next turn replays it and the model's prefix cache still matches)."""
        ...

    def warm_up(self) -> None:
        """Load the model now (in the background at start-up) instead of on the first question."""
        ...

    def stream(self, request: AnswerRequest) -> Iterator[str]:
        """Yield the answer as it is generated, piece by piece."""
        ...


@runtime_checkable
class TrainedForADomain(Protocol):
    """A backend trained on one kind of data (a fusion run): it declines pictures unlike its
    training pictures, and says under every answer what it was trained on."""

    def outside(self, request: AnswerRequest) -> str | None:
        """The answer when the request is outside what it was trained on, else None."""
        ...

    def notice(self, request: AnswerRequest) -> str:
        """The line shown under its answers."""
        ...


class Occupancy:
    """How many callers are inside a ``with`` block right now (thread-safe)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Occupancy:
        with self._lock:
            self.count += 1
        return self

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self.count -= 1
