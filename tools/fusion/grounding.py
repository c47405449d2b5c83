"""Grounded or refused: an answer to a question that asks for a specific (who, when, where,
how much, a name, a number) may state only numbers and names that the image facts, the
passages, the question or the chat so far contain. Anything else is a guess stated as a fact,
and the answer says it does not know instead.

Only those questions are held back, a sentence at a time, while it is checked: the rest
stream as they come, so the first token of an ordinary answer is not delayed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tools.fusion.prompt import FusionRequest

UNSUPPORTED = "I don't know: neither the image nor your documents say."
_ASKS_SPECIFIC = re.compile(
    r"\b(who|whom|whose|when|where|which (year|city|country|day|date|month|town|place)|"
    r"what (year|date|time|day|month|city|country|is (his|her|its|their|the) name)|"
    r"how (much|many|old|long|often|far)|price|cost|named?)\b",
    re.I,
)
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'-]*[A-Za-z]")
_SENTENCE_END = re.compile(r"[.!?](\s|$)")
# Capitalised at the start of a sentence, not names.
_STARTS = (
    "the a an this that these those it its it's there they their he she his her i i'm i'd "
    "yes no in on at of for from to with by as and or but so if based according however "
    "image picture photo photograph receipt document passage what which who when where "
    "one two both first second third neither nothing unfortunately sorry"
)
_COMMON = frozenset(_STARTS.split())


def asks_for_specific(question: str) -> bool:
    return bool(_ASKS_SPECIFIC.search(question))


def known_text(request: FusionRequest) -> str:
    """Everything an answer may draw on, lower-cased."""
    parts = [request.question]
    parts += [ref.facts.describe() for ref in request.images]
    parts += [hit.text + " " + hit.citation() for hit in request.passages]
    parts += [turn.prompt or turn.text for turn in request.history]
    return "\n".join(parts).lower()


def unsupported(sentence: str, known: str) -> list[str]:
    """Numbers and names in the sentence that nothing it may draw on contains."""
    plain = re.sub(r"\[\d+\]", "", sentence)
    names = [w for w in _NAME.findall(plain) if w.lower() not in _COMMON]
    claims = _NUMBER.findall(plain) + names
    return [c for c in claims if not re.search(rf"(?<!\w){re.escape(c.lower())}(?!\w)", known)]


def grounded(pieces: Iterable[str], request: FusionRequest) -> Iterator[str]:
    """The answer's pieces; for a question asking for a specific, each sentence is checked
    before it is shown, and an unsupported one ends the answer with ``UNSUPPORTED``."""
    if not asks_for_specific(request.question):
        yield from pieces
        return
    known = known_text(request)
    said, pending = "", ""
    for piece in pieces:
        pending += piece
        while match := _SENTENCE_END.search(pending):
            sentence, pending = pending[: match.end()], pending[match.end() :]
            if unsupported(sentence, known):
                yield _refusal(said)
                return
            said += sentence
            yield sentence
    if pending:
        yield _refusal(said) if unsupported(pending, known) else pending


def _refusal(said: str) -> str:
    return UNSUPPORTED if not said or said[-1].isspace() else " " + UNSUPPORTED
