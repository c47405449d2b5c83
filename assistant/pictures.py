"""Questions about pictures that code answers better than a small model can count or recall:
"which of the two pictures shows a vehicle?" and "is there a picture of a bird in the
knowledge base?". What code works out is stated to the model in plain words (or, for an empty
search, is the answer), so the model never has to count pictures or guess what a base holds."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from knowledge_base.captions import caption, describe_labels
from tools.fusion.prompt import ordinal
from tools.vision import ImageFacts

Encode = Callable[[list[str]], np.ndarray]

_KB_PICTURE = re.compile(
    r"\b(?:is there|are there|do (?:we|i|you) have|have (?:we|i|you) got|does (?:it|the "
    r"knowledge base|my library) (?:have|hold|contain)|any)\s+(?:a |an |any |some )?"
    r"(?:pictures?|photos?|photographs?|images?)\s+(?:of|showing|with)\s+(?P<thing>.+?)\s+"
    r"(?:in|among|inside)\s+(?:the |my |our )?(?:knowledge base|documents|library|files|kb)\b",
    re.I,
)
_WHICH = re.compile(
    r"\bwhich\s+(?:of\s+(?:the|these|those|my)\s+(?:\w+\s+)?)?(?:pictures?|images?|photos?|"
    r"ones?)\s+(?:shows?|has|have|contains?|is|are|depicts?)\s+(?P<thing>[^,?.;]+?)\s*"
    r"(?:,|\?|$|\bor\b|\bthe first\b)",
    re.I,
)
_ARTICLE = re.compile(r"^(?:a|an|the|some|any)\s+", re.I)
# Caption similarity (all-MiniLM-L6-v2) a picture needs to count as showing the thing, and
# its lead over the next picture (measured on eval/heldout/dev: right ones 0.49-0.69, wrong
# ones up to 0.42).
SHOWS = 0.45
LEAD = 0.08


def asked_picture(question: str) -> str | None:
    """The thing in "is there a picture of THING in the knowledge base?", else None."""
    match = _KB_PICTURE.search(question)
    return match.group("thing").strip() if match else None


def which_asked(question: str) -> str | None:
    """The thing in "which of the pictures shows THING?", else None."""
    match = _WHICH.search(question)
    return _ARTICLE.sub("", match.group("thing").strip()) if match else None


def facts_caption(facts: ImageFacts) -> str:
    """The same kind of caption the knowledge base gives its pictures."""
    labels = describe_labels([lb.name for lb in facts.labels], [k.name for k in facts.kinds])
    return caption(labels, facts.ocr_text)


def which_note(thing: str, pictures: dict[str, ImageFacts], encode: Encode) -> str:
    """Which of the pictures (img-1, img-2..., in the chat's order) shows ``thing``, in words:
    the one whose caption is clearly the most similar, or that none clearly does."""
    ids = list(pictures)  # in the chat's order
    vectors = encode([thing, *(facts_caption(pictures[i]) for i in ids)])
    scores = vectors[1:] @ vectors[0]
    order = np.argsort(-scores)
    best = ids[order[0]]
    runner_up = float(scores[order[1]]) if len(ids) > 1 else -1.0
    shown = "; ".join(f"the {_place(i)} ({i}) shows {pictures[i].headline()}" for i in ids)
    if scores[order[0]] >= SHOWS and scores[order[0]] - runner_up >= LEAD:
        return f"Of the pictures in this chat, the {_place(best)} ({best}) shows {thing}: {shown}."
    return f"No picture in this chat is recognised as showing {thing} ({shown}): say so."


def _place(image_id: str) -> str:
    place = ordinal(image_id)
    return f"{place} picture" if place else "picture"
