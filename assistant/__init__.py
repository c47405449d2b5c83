"""Vira's public API: ``Assistant``, ``Session`` and ``Settings``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.events import Answer, Event, Source
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.assistant import Assistant, Session


def __getattr__(name: str) -> Any:
    # The assistant imports everything below it (Chroma, LangChain, the vision models):
    # it loads when first named, so that settings import light (``app.py`` starts the
    # answering model first).
    if name in ("Assistant", "Session"):
        from assistant import assistant

        return getattr(assistant, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Answer", "Assistant", "Event", "Session", "Settings", "Source"]
