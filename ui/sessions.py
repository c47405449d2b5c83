"""Which conversation, and which user, a browser request belongs to."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

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


_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def browser_token(stored: object) -> str:
    """The random token this browser keeps (in its localStorage, encrypted by Gradio's
    ``BrowserState``) so that its conversations are listed again after a reload; a new one
    when it has none or it is not one of ours."""
    if isinstance(stored, str) and _TOKEN.fullmatch(stored):
        return stored
    return secrets.token_urlsafe(24)


def owner_of(user: User, token: str) -> str:
    """Whose conversations: a signed-in user's (on any browser), else this browser's."""
    return f"user:{user.name}" if user.name else f"browser:{token}"


def new_conversation_id() -> str:
    return "c-" + secrets.token_urlsafe(16)


def browser_secret(data_dir: Path) -> str:
    """The key ``BrowserState`` encrypts with, kept in the data dir: a restarted app can
    still read what browsers stored (a key drawn at each start could not)."""
    path = data_dir / "browser-state.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()
