"""Citations added in code, for small models that state a passage's fact without its [n]."""

from __future__ import annotations

import re

from tools.fusion.prompt import Passage

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%-]*[A-Za-z0-9%]|[A-Za-z0-9]")
_COMMON = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "it",
        "this",
        "that",
        "these",
        "those",
        "as",
        "at",
        "by",
        "from",
        "has",
        "have",
        "had",
        "not",
        "no",
        "yes",
        "you",
        "your",
        "i",
        "we",
        "they",
        "he",
        "she",
        "its",
        "their",
        "there",
        "here",
        "what",
        "which",
        "who",
        "image",
        "picture",
        "photo",
    ]
)
MIN_SHARED = 2  # distinctive words an answer must share with a passage to cite it


def _words(text: str) -> set[str]:
    return {w.lower().strip(".,") for w in _WORD.findall(text)} - _COMMON


def cited_numbers(answer: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer)}


def missing_citations(answer: str, passages: list[Passage]) -> str:
    """Marks to append (like " [2]") for each passage whose distinctive words, or any of its
    numbers, the answer repeats, when the answer cites nothing itself; else ""."""
    if not passages or cited_numbers(answer):
        return ""
    said = _words(answer)
    used = []
    for passage in passages:
        shared = said & _words(passage.text)
        if len(shared) >= MIN_SHARED or any(ch.isdigit() for word in shared for ch in word):
            used.append(passage.number)
    return " " + "".join(f"[{n}]" for n in used) if used else ""


def _support(said: set[str], passage: Passage) -> int:
    shared = said & _words(passage.text)
    return len(shared) + (MIN_SHARED if any(c.isdigit() for w in shared for c in w) else 0)


def checked_citations(answer: str, passages: list[Passage]) -> str:
    """Fix the marks a model wrote: drop numbers that name no passage ([0], [7] of 5), and
    point a mark at the passage the answer actually repeats when the cited one shares
    (almost) nothing with it — small models often cite the neighbour of the right passage."""
    by_number = {p.number: p for p in passages}
    said = _words(re.sub(r"\[\d+\]", " ", answer))
    best = max(passages, key=lambda p: _support(said, p), default=None)

    def fix(match: re.Match) -> str:
        cited = by_number.get(int(match[2]))
        if cited is None:
            return ""  # with the space before it
        if best is not None and _support(said, cited) < MIN_SHARED <= _support(said, best):
            return f"{match[1]}[{best.number}]"
        return match[0]

    fixed = re.sub(r"( ?)\[(\d+)\]", fix, answer)
    return re.sub(r"(\[\d+\])(?:\1)+", r"\1", fixed).strip()  # [2][2] after a fix -> [2]
