"""The Gradio interface only; it calls ``assistant`` and holds no business logic."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.app import build_ui, launch


def __getattr__(name: str) -> Any:
    # Gradio takes seconds to import: it loads when the UI is built, not when app.py starts
    # (the answering model starts loading first).
    if name in __all__:
        return getattr(import_module("ui.app"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["build_ui", "launch"]
