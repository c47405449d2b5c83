"""The Gradio interface only; it calls ``assistant`` and holds no business logic."""

from ui.app import build_ui, launch

__all__ = ["build_ui", "launch"]
