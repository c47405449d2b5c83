"""The protocol every answering backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from tools.fusion.prompt import FusionRequest


class FusionBackend(Protocol):
    key: str
    #: True when the backend looks at pixels itself; False when it reads image facts as text.
    sees_pixels: bool

    def render(self, request: FusionRequest) -> str:
        """This turn's user message exactly as the model gets it (kept with the turn, so the
        next turn replays it and the model's prefix cache still matches)."""
        ...

    def warm_up(self) -> None:
        """Load the model now (in the background at start-up) instead of on the first question."""
        ...

    def stream(self, request: FusionRequest) -> Iterator[str]:
        """Yield the answer as it is generated, piece by piece."""
        ...
