"""Talking to a launched app as its users do: a Chatbot message's text, a browser's cookies."""

from __future__ import annotations

from typing import Any

import httpx

from ui.private_files import COOKIE


def chat_text(message: dict[str, Any]) -> str:
    """A Chatbot message's own text (Gradio 6 sends content as a list of typed parts): an
    answer's first part; its sources and thumbnails follow it."""
    content = message["content"]
    if isinstance(content, str):
        return content
    texts = [part["text"] for part in content if isinstance(part, dict) and "text" in part]
    return texts[0] if texts else ""


def browser_client(url: str) -> httpx.Client:
    """An HTTP client with its own cookie jar, as a browser gets it from the page."""
    client = httpx.Client(base_url=url, timeout=30)
    assert client.get("/").status_code == 200 and COOKIE in client.cookies
    return client
