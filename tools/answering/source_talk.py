"""Sentences that only say which passage was used ("I used passage [1].", "Source: [2]") become
their marks. Asked to put the passage's number in brackets, the 1.5B often writes such a
sentence; when the mark is then dropped (the answer came from the picture, not the passage),
"I used passage." was left for the user to read.

Works on the stream: a sentence that may still turn out to be one of these is held back until
it ends or shows it is not ("Passage [1] says ..." goes through unchanged).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import regex

_NUMBER = r"(?:\[\d+\]|\d+)"
_BODY = (
    r"\(?(?:i\s+(?:have\s+)?used\s+|see\s+|from\s+|according\s+to\s+|based\s+on\s+"
    r"|(?:(?:this|the|that)\s+(?:information|answer|fact)\s+)?(?:is\s+|was\s+|comes\s+)?"
    r"(?:found\s+|taken\s+|given\s+|stated\s+|mentioned\s+)?(?:in|from)\s+)?"
    r"(?:the\s+)?(?:passage|source)s?(?:\s+number)?\s*:?"
    rf"(?:\s*{_NUMBER}(?:\s*(?:,|and|,\s*and)\s*{_NUMBER})*)?\)?"
)
_TAIL = regex.compile(_BODY + r"[ \t]*(?:[.!?]+\)?)?", regex.IGNORECASE)
# Where a sentence starts: the answer's start, or after an end of sentence and white space.
_START = regex.compile(r"(?:^|(?<=[.!?][ \t]+)|(?<=\n[ \t]*))(?=\S)")
# One whole such sentence, with the white space before it and the stop after it.
_SENTENCE = regex.compile(
    rf"(?:^|(?<=[.!?][ \t]*)|(?<=\n[ \t]*))[ \t]*(?P<body>{_BODY})[ \t]*(?:[.!?]+\)?|(?=\n)|$)",
    regex.IGNORECASE,
)
_CONTEXT = 16  # characters of what was passed on that the next piece is read after


def _as_marks(body: str, after_space: bool) -> str:
    marks = "".join(f"[{n}]" for n in regex.findall(r"\d+", body))
    return marks if after_space or not marks else f" {marks}"


def _held_from(text: str, base: int) -> int | None:
    """Where a sentence that may still become a "which passage" sentence starts, if one does."""
    starts = [m.start() for m in _START.finditer(text, pos=base)]
    if starts and _TAIL.fullmatch(text, pos=starts[-1], partial=True):
        return starts[-1]
    return None


def _replaced(text: str, base: int, end: int, strip: bool) -> tuple[str, bool]:
    """``text[base:end]`` with such sentences as their marks, and whether the white space that
    starts what comes next is to go (a sentence with no mark left after white space already
    passed on). ``strip``: it is to go at ``base``."""
    out, at = [], base
    for match in _SENTENCE.finditer(text, pos=base, endpos=end):
        said = text[at : match.start()]
        after_space = text[: match.start()][-1:].isspace()
        out += [said.lstrip(" \t") if strip else said, _as_marks(match["body"], after_space)]
        strip = not out[-1] and not match[0][:1].isspace()
        at = match.end()
    rest = text[at:end]
    rest = rest.lstrip(" \t") if strip else rest
    return "".join(out) + rest, strip and not rest


def without_source_talk(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces, with each "which passage" sentence replaced by its marks."""
    context = held = ""
    strip = False
    for piece in pieces:
        text = context + held + piece
        base = len(context)
        cut = _held_from(text, base)
        end = len(text) if cut is None else cut
        ready, strip = _replaced(text, base, end, strip)
        if ready:
            yield ready
        context, held = (context + text[base:end])[-_CONTEXT:], text[end:]
    if held:
        yield _replaced(context + held, len(context), len(context + held), strip)[0]
