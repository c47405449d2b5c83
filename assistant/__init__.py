"""Vira's public API: ``Assistant``, ``Session`` and ``Settings``."""

from assistant.assistant import Assistant, Session
from assistant.events import Answer, Event, Source
from assistant.settings import Settings

__all__ = ["Answer", "Assistant", "Event", "Session", "Settings", "Source"]
