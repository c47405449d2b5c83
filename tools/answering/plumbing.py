"""A planner's plumbing is never an answer: tool-call JSON, tool-call tags, tool names and
"here is how I'll proceed" plans, which small tool-calling models write as text when they
should call a tool or answer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

#: The tools' names, as the planner's model sees them.
TOOL_NAMES = ("encode_image", "search_knowledge", "answer_with_vlm")
_TOOL_NAME = re.compile(rf"\b({'|'.join(TOOL_NAMES)})\b")
_CALL_JSON = re.compile(r'"(name|function|tool)"\s*:.*"(arguments|parameters|args)"\s*:', re.S)
_TAG = re.compile(r"</?\|?(tools?|tool_calls?|tool_code|function(_call)?s?)\b[^>]*>", re.I)
_PLAN = re.compile(
    r"\bhere(?:'s| is) (?:how i(?:'ll| will) proceed|the (?:process|plan|json)|my plan)\b"
    r"|\b(?:json|tool) (?:response|call)s?\b"
    r"|\bi(?:'ll| will) (?:first )?(?:need to )?(?:call|use|invoke) (?:the|a) (?:tool|function)",
    re.I,
)
_LAST_WORD = re.compile(r"\b[a-z_]+$")
_OPENS_BLOCK = re.compile(r"<|\{|`|\[\s*[\[{\"]")  # not "[1]": a citation mark
_UNDECIDED = re.compile(r"\[\s*")


def plumbing(text: str) -> bool:
    """The text is (or carries) a planner's tool calls or its plan, not an answer."""
    return bool(
        _TOOL_NAME.search(text) or _CALL_JSON.search(text) or _TAG.search(text)
        or _PLAN.search(text)
    )  # fmt: skip


def without_plumbing(pieces: Iterable[str], instead: str) -> Iterator[str]:
    """The answer's pieces, with plumbing never shown: an answer that opens like a block
    (a tag, JSON, a code fence) is held to its end and replaced by ``instead`` when it is
    plumbing; an answer that turns to plumbing midway ends where it turns (``instead`` when
    nothing was said before). Only a word the next piece may extend is held back."""
    said, pending, held = "", "", None
    for piece in pieces:
        if held is not None:
            held += piece
            continue
        pending += piece
        start = (said + pending).lstrip()
        if not said.strip():
            if _UNDECIDED.fullmatch(start):
                continue
            if _OPENS_BLOCK.match(start):
                held, pending = pending, ""
                continue
        if plumbing(said + pending):
            yield from _cut(said, instead)
            return
        ready = pending[: _tool_name_start(pending)]
        pending = pending[len(ready) :]
        if ready:
            said += ready
            yield ready
    if held is not None:
        yield instead if plumbing(held) else held
    elif pending:
        yield from [pending] if not plumbing(said + pending) else _cut(said, instead)


def _tool_name_start(text: str) -> int:
    """Where a tool name may be starting at the end of ``text``, cut by the stream (or its
    end): held back until the next piece says."""
    last = _LAST_WORD.search(text)
    if last and any(name.startswith(last.group()) for name in TOOL_NAMES):
        return last.start()
    return len(text)


def _cut(said: str, instead: str) -> list[str]:
    """What follows an answer that turned to plumbing: nothing, or ``instead`` when nothing
    was said before it."""
    return [] if said.strip() else [instead]
