"""A question that asks for a picture's words ("What does the sign say?", "What is written on
it?") is answered with the words as read, without asking the model: the words are the answer,
a small model can only copy them (or miscopy them), and on two cores its turn costs seconds
that twenty visitors at once wait for in turn.

Only clear text is read out: a few lines, each read with confidence. A question about part of
the text ("the code at the bottom", "the total") or about several pictures goes to the model,
and so does a backend that sees the pixels itself.
"""

from __future__ import annotations

import re

from imaging.ocr import reading_order
from tools.answering.prompt import AnswerRequest
from tools.vision.facts import READABLE, readable

MAX_ROWS = 6  # more is a page: the model sums it up instead
MAX_CHARS = 240

_OBJECT = r"(?P<obj>[\w' -]{0,40}?)"
_WHOLE_TEXT = [
    re.compile(p, re.I)
    for p in (
        rf"(?:what|what's|whats)\s+(?:does|do|did)\s+{_OBJECT}\s+say",
        rf"what(?:'s|\s+is|\s+was)\s+written(?:\s+(?:on|in)\s+{_OBJECT})?",
        rf"(?:(?:can|could|would)\s+you\s+|please\s+)?(?:read|transcribe)\s+(?:out\s+|me\s+)?"
        rf"{_OBJECT}(?:\s+(?:out|aloud))?(?:\s+(?:for|to)\s+me)?(?:\s*,?\s*please)?",
        rf"what\s+(?:text|words?)\s+(?:is|are)\s+(?:there|in|on)\b{_OBJECT}",
    )
]
# A part of the text or one of several pictures: not the whole text of the one in focus.
_PART = re.compile(
    r"\b(?:left|right|top|bottom|middle|centre|center|under|below|above|beneath|corner|first|"
    r"second|third|last|other|both|each|all|line|word|code|number|name|date|price|total|"
    r"address|title|heading)s?\b",
    re.I,
)


def asks_whole_text(question: str) -> bool:
    asked = question.strip().rstrip("?.! ")
    for pattern in _WHOLE_TEXT:
        if match := pattern.fullmatch(asked):
            return not _PART.search(match["obj"] or "")
    return False


def read_out(request: AnswerRequest, sees_pixels: bool) -> str | None:
    """The answer "It says: "…"." for a question asking for the one picture's words when
    they were read clearly, else None (ask the model)."""
    if sees_pixels or len(request.images) != 1 or not request.about_pictures:
        return None
    if not asks_whole_text(request.question):
        return None
    lines = readable(request.images[0].facts.text)
    if not lines or min(line.confidence for line in lines) < READABLE:
        return None
    rows = [" ".join(line.text for line in row) for row in reading_order(lines)]
    said = " / ".join(rows)
    if len(rows) > MAX_ROWS or len(said) > MAX_CHARS:
        return None
    return f'It says: "{said}".'
