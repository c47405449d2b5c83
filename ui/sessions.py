"""Which conversation a browser request belongs to."""

from __future__ import annotations

import gradio as gr


def session_id(request: gr.Request | None) -> str:
    """Each browser session (Gradio's ``session_hash``) is its own conversation."""
    return (request.session_hash if request else None) or "anonymous"
