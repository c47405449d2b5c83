"""What ``Session.ask`` streams, and the final answer it builds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from knowledge_base import Hit

EventKind = Literal["tool_call", "tool_result", "status", "token", "answer", "error"]


@dataclass(frozen=True)
class Source:
    """A passage (or image item) the answer was given as [number]; ``cited`` when it says so."""

    number: int
    hit: Hit
    cited: bool = False


@dataclass(frozen=True)
class Answer:
    text: str
    sources: list[Source] = field(default_factory=list)
    images_used: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    text: str = ""  # token text, or the error message
    tool: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # tool arguments or result summary
    answer: Answer | None = None
