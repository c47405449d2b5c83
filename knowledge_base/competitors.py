"""Passages that compete with a better one: the same text about another subject.

Templated documents (one returns policy per shop, one service record per machine) give
passages that differ only in names and numbers. When the question names one shop, the others'
passages still clear the relevance bar, and a small answering model readily takes its figure
from the wrong one (the returns probe in ``docs/evaluation.md``). A passage from
another document that says nearly the same words as another passage is dropped when the
question names what only the other one is about ("Blue Fern"), or, naming neither, when it
matches the question clearly less well. A comparison question keeps everything.
"""

from __future__ import annotations

import re

from knowledge_base.types import Hit

#: Word-set overlap (Jaccard, digits ignored) above which two passages are one template.
SAME_TEMPLATE = 0.6
#: How much less similar to the question a template's copy must be to be dropped.
SIMILARITY_GAP = 0.15
_WORDS = re.compile(r"[^\W\d_]+")
# Words too common to tell one copy of a template from another.
_COMMON = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with",
    "you", "your",
))  # fmt: skip
_COMPARES = re.compile(
    r"\b(compare|comparison|differ\w*|both|between|versus|vs|each|every|all|which of|"
    r"other|others|same|similar)\b",
    re.I,
)


def words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORDS.findall(text))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def without_competitors(hits: list[Hit], query: str, question: str | None = None) -> list[Hit]:
    """``hits`` less each text passage from another document that repeats another passage's
    template and is not what ``query`` asks about; order kept. ``question`` (default: the
    query) is what the user asked this turn: a comparison keeps every copy."""
    if _COMPARES.search(question if question is not None else query):
        return list(hits)
    asked = words(query) - _COMMON
    return [hit for hit in hits if not any(_competes(hit, other, asked) for other in hits)]


def _competes(hit: Hit, other: Hit, asked: frozenset[str]) -> bool:
    """Whether ``hit`` is a copy of ``other``'s template about a subject not asked for."""
    if hit.kind != "text" or other.kind != "text" or hit.doc_id == other.doc_id:
        return False
    mine, theirs = words(hit.text), words(other.text)
    if overlap(mine, theirs) < SAME_TEMPLATE:
        return False
    if asked & (mine - theirs - _COMMON):
        return False  # the question names what this copy is about
    if asked & (theirs - mine - _COMMON):
        return True  # ... or what only the other one is about
    if hit.similarity is None or other.similarity is None:
        return False  # a words-only match (an exact code) is its own evidence
    return other.similarity - hit.similarity >= SIMILARITY_GAP
