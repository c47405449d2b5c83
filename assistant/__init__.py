"""Vira's public API: ``Assistant`` and ``Settings``."""

from assistant.settings import Settings

__all__ = ["Settings"]
