"""Which conversation, and which user, a browser request belongs to."""

from __future__ import annotations

import gradio as gr

from assistant.access import Access, User


def session_id(request: gr.Request | None) -> str:
    """Each browser session (Gradio's ``session_hash``) is its own conversation."""
    return (request.session_hash if request else None) or "anonymous"


def user_of(access: Access, request: gr.Request | None, profile: gr.OAuthProfile | None) -> User:
    """The request's user: signed in with Gradio's auth (``request.username``) or with
    Hugging Face (``profile``), else an unnamed visitor of this browser session."""
    name = (request.username if request else None) or (profile.username if profile else None)
    return access.user(session_id(request), name)
