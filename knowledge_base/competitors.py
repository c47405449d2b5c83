"""Passages that compete with a better one: the same text about another subject.

Templated documents (one returns policy per shop, one service record per machine) give
passages that differ only in names and numbers. When the question names one shop, the others'
passages still clear the relevance bar, and a small answering model readily takes its figure
from the wrong one (measured: 14 of 24 follow-ups quoted another shop's fee). A passage from
another document that says nearly the same words as a better-matching passage, and matches
the question clearly less well, is dropped; a comparison question keeps everything.
"""

from __future__ import annotations

import re

from knowledge_base.types import Hit

#: Word-set overlap (Jaccard, digits ignored) above which two passages are one template.
SAME_TEMPLATE = 0.6
#: How much less similar to the question a template's copy must be to be dropped.
SIMILARITY_GAP = 0.15
_WORDS = re.compile(r"[^\W\d_]+")
_COMPARES = re.compile(
    r"\b(compare|comparison|differ\w*|both|between|versus|vs|each|every|all|which of|"
    r"other|others|same|similar)\b",
    re.I,
)


def words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORDS.findall(text))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def without_competitors(hits: list[Hit], question: str) -> list[Hit]:
    """``hits`` less each text passage from another document that repeats a better-matching
    passage's template with a clearly lower similarity to the question; order kept."""
    if _COMPARES.search(question):
        return list(hits)
    return [hit for hit in hits if not any(_competes(hit, better) for better in hits)]


def _competes(hit: Hit, better: Hit) -> bool:
    if hit.kind != "text" or better.kind != "text" or hit.doc_id == better.doc_id:
        return False
    if hit.similarity is None or better.similarity is None:
        return False  # a words-only match (an exact code) is its own evidence
    if better.similarity - hit.similarity < SIMILARITY_GAP:
        return False
    return overlap(words(hit.text), words(better.text)) >= SAME_TEMPLATE
