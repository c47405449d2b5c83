"""Files in Gradio's cache are served only to the browser (or API client) they were sent to.

Gradio serves any file in its cache to anyone who asks for its path, and the path of an upload
is the sha256 of its content plus its name: anyone holding the same file could check that
somebody uploaded it and fetch another session's files by path. This ASGI middleware gives
each client a random cookie (browsers and ``gradio_client`` both send it back), records every
cache path that a response to that client mentions (an upload's reply, the chat's stream), and
answers 404 to requests for cache files the client was never sent.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections import OrderedDict
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

COOKIE = "vira_owner"
PUBLIC = ""  # files named in the page's config: every client may fetch them
PUBLIC_PATHS = ("/", "/config", "/config/", "/gradio_api/info")
SCANNED_TYPES = (b"application/json", b"text/event-stream", b"text/html")
FILE_ROUTES = re.compile(r"/(?:gradio_api/)?(?:file=|file/)(?P<path>.+)")
#: The folder of Gradio's cache that the pages of cited passages are served from; the chat
#: names them inside HTML, where no closing quote follows the path.
PAGE_VIEWS = "vira-views"
MAX_OWNERS = 20_000
MAX_FILES_PER_OWNER = 5_000


class Grants:
    """Which client was sent which cache files; least recently active clients are forgotten
    first, so the table stays bounded."""

    def __init__(self) -> None:
        self._by_owner: OrderedDict[str, set[str]] = OrderedDict()

    def add(self, owner: str, paths: set[str]) -> None:
        files = self._by_owner.setdefault(owner, set())
        self._by_owner.move_to_end(owner)
        if len(files) + len(paths) > MAX_FILES_PER_OWNER:
            files.clear()  # a client this busy re-learns paths from its next replies
        files |= paths
        while len(self._by_owner) > MAX_OWNERS:
            self._by_owner.popitem(last=False)

    def allows(self, owner: str | None, path: str) -> bool:
        public = self._by_owner.get(PUBLIC, set())
        return path in public or (owner is not None and path in self._by_owner.get(owner, ()))


class PrivateFiles:
    def __init__(self, app: Any, cache_dir: str) -> None:
        self.app = app
        self.cache_dir = os.path.realpath(cache_dir)
        # A whole cache path inside a JSON string (up to its closing quote; escapes are
        # decoded afterwards): the end of a chunk cut in the middle of one grants nothing.
        self._mention = re.compile(re.escape(self.cache_dir) + r'/(?:[^"\\]|\\.)+(?=")')
        self._page = re.compile(re.escape(self.cache_dir) + rf"/{PAGE_VIEWS}/[0-9a-f]{{32}}\.jpg")
        self.grants = Grants()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        owner = _cookie(scope)
        new_owner = None if owner else secrets.token_urlsafe(24)
        target = self._requested_cache_file(scope["path"])
        if target is not None and not self.grants.allows(owner, target):
            await _not_found(send, _set_cookie(new_owner, _https(scope)))
            return
        owner = owner or new_owner
        receiver = PUBLIC if scope["path"] in PUBLIC_PATHS else owner
        scanning = False
        tail = ""

        async def wrapped(message: dict) -> None:
            nonlocal scanning, tail
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                scanning = headers.get(b"content-type", b"").startswith(SCANNED_TYPES)
                cookie = _set_cookie(new_owner, _https(scope))
                if cookie:
                    message = {**message, "headers": [*message.get("headers", []), cookie]}
            elif message["type"] == "http.response.body" and scanning:
                # Keep the end of the previous chunk: a path may be split between two.
                text = tail + message.get("body", b"").decode("utf-8", "replace")
                self.grants.add(receiver, self._mentioned(text))
                tail = text[-4096:]
            await send(message)

        await self.app(scope, receive, wrapped)

    def _requested_cache_file(self, path: str) -> str | None:
        match = FILE_ROUTES.search(path)
        if match is None:
            return None
        real = os.path.realpath(unquote(match["path"]))
        inside = real == self.cache_dir or real.startswith(self.cache_dir + os.sep)
        return real if inside else None

    def _mentioned(self, text: str) -> set[str]:
        found = set(self._page.findall(text))
        for raw in self._mention.findall(text):
            try:
                path = json.loads(f'"{raw}"') if "\\" in raw else raw
            except json.JSONDecodeError:
                continue
            found.add(os.path.realpath(unquote(path)))
        return found


def _https(scope: dict) -> bool:
    forwarded = dict(scope.get("headers", [])).get(b"x-forwarded-proto", b"")
    return scope.get("scheme") == "https" or forwarded.split(b",")[0].strip() == b"https"


def _set_cookie(owner: str | None, https: bool) -> tuple[bytes, bytes] | None:
    if owner is None:
        return None
    # In a Space the app runs in an iframe on another site (behind https): the cookie must be
    # SameSite=None; Secure; Partitioned there. Plain http (a laptop) gets SameSite=Lax.
    extra = "SameSite=None; Secure; Partitioned" if https else "SameSite=Lax"
    return b"set-cookie", f"{COOKIE}={owner}; Path=/; HttpOnly; {extra}".encode()


def _cookie(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed header is no cookie at all
                return None
            if COOKIE in jar and jar[COOKIE].value:
                return jar[COOKIE].value
    return None


async def _not_found(send: Any, cookie: tuple[bytes, bytes] | None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8")] + ([cookie] if cookie else [])
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": b"File not found."})
