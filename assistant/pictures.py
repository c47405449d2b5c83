"""Questions about pictures that code answers better than a small model can count or recall:
"which of the two pictures shows a vehicle?" and "is there a picture of a bird in the
knowledge base?". What code works out is stated to the model in plain words (or, for an empty
search, is the answer), so the model never has to count pictures or guess what a base holds."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import numpy as np

from knowledge_base.captions import caption, describe_labels
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.loaders.figures import CAPTION
from knowledge_base.shelves import Shelves
from knowledge_base.types import Hit
from tools.answering.prompt import ordinal
from tools.vision import ImageFacts
from tools.vision.facts import GUESS, SURE

Encode = Callable[[list[str]], np.ndarray]

_KB_PICTURE = re.compile(
    r"\b(?:is there|are there|do (?:we|i|you) have|have (?:we|i|you) got|does (?:it|the "
    r"knowledge base|my library) (?:have|hold|contain)|any)\s+(?:a |an |any |some )?"
    r"(?:pictures?|photos?|photographs?|images?)\s+(?:of|showing|with)\s+(?P<thing>.+?)\s+"
    r"(?:in|among|inside)\s+(?:the |my |our )?(?:knowledge base|documents|library|files|kb)\b",
    re.I,
)
# "Show me the wiring diagram", "find the chart of rainfall": a figure the documents hold.
_SHOW_FIGURE = re.compile(
    r"^\s*(?:please\s+)?(?:show|display|find|open|give)\s+(?:me\s+|us\s+)?(?P<thing>(?:the |a |"
    r"an |your |my )?(?:[\w-]+\s+){0,4}(?:diagram|chart|graph|plot|figure|fig\.|schematic|"
    r"drawing|illustration|map|picture|photo|image)s?\b[^?.!]*)",
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
# its lead over the next picture (measured on eval/heldout/dev: right ones 0.46-0.69, wrong
# ones up to 0.42).
SHOWS = 0.45
LEAD = 0.08
# Below this similarity a recognised picture is taken to show something else entirely.
UNRELATED = 0.25
_ONLY_WHICH = re.compile(
    r"^\W*(?:the\s+)?(?:first|second|third|1st|2nd|3rd)(?:\s+(?:one|picture|image|photo))?"
    r"(?:\s*,?\s*(?:or|and)\s+(?:the\s+)?(?:first|second|third|1st|2nd|3rd)"
    r"(?:\s+(?:one|picture|image|photo))?)*\W*$|^\W*$",
    re.I,
)


@dataclass(frozen=True)
class Which:
    """Which picture of a chat shows a thing, as code worked it out."""

    picture: str | None  # its image id; None when no picture can be told apart
    sure: bool  # False for a guess by elimination (the only unrecognised picture)
    text: str  # the finding in plain words: a reply, or a note for the model


def asked_picture(question: str) -> str | None:
    """The thing in "is there a picture of THING in the knowledge base?" or in "show me the
    wiring diagram" (a figure of the documents), else None."""
    match = _KB_PICTURE.search(question) or _SHOW_FIGURE.search(question)
    return match.group("thing").strip() if match else None


def picture_query(facts: ImageFacts, guesses: bool = False) -> str:
    """What to search the documents with for a picture: the words printed in it (a model
    number on a rating label) and what the classifier is sure it shows. ``guesses``: also
    its likely kind and its labels down to a guess, for a list of results a person looks
    through (nothing is stated from them)."""
    kind = facts.sure_kind() or (facts.likely_kind() if guesses else None)
    least = GUESS if guesses else SURE
    named = [lb.name for lb in facts.labels[: 3 if guesses else 1] if lb.score >= least]
    named += [kind.name] if kind else []
    return " ".join([facts.ocr_text.replace("\n", " ")[:300], *named]).strip()


def and_alike(found: list[Hit], knowledge: Shelves, picture: Path, bar: float, k: int) -> list[Hit]:
    """``found`` (searched by ``picture_query``) and the documents' pictures that look like
    ``picture`` (image similarity of at least ``bar``), taken in turn, so that neither way
    crowds the other out of the first ``k``; each once."""
    try:
        alike = knowledge.search_by_image(picture)
    except KnowledgeBaseError:
        alike = []
    looks = [h for h in alike if h.similarity is not None and h.similarity >= bar]
    # Words first: to the image encoder, any two pictures of printed text look alike.
    turns = [h for pair in zip_longest(found, looks) for h in pair if h is not None]
    return list({h.id: h for h in turns}.values())[:k]


def shown_figure(question: str) -> bool:
    """ "Show me the wiring diagram": the figure itself is the answer."""
    return bool(_SHOW_FIGURE.search(question))


def figure_title(hit: Hit) -> str:
    """How an answer names a picture item: its caption's first sentence ("Figure 3: Wiring
    diagram of the pump controller"), else "the picture"."""
    first = " ".join(hit.text.split("\n", 1)[0].split())
    if not CAPTION.match(first):
        return "the picture"
    return re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0].rstrip(".")[:160]


def which_asked(question: str) -> str | None:
    """The thing in "which of the pictures shows THING?" (with its article), else None."""
    match = _WHICH.search(question)
    return match.group("thing").strip() if match else None


def only_which(question: str) -> bool:
    """Whether the question asks nothing besides which picture shows the thing ("…, the first
    or the second?"), so that the finding is the whole answer."""
    match = _WHICH.search(question)
    if not match:
        return False
    rest = question[match.start("thing") + len(match.group("thing")) :]
    return bool(_ONLY_WHICH.match(rest)) and not question[: match.start()].strip(" ?,.")


def facts_caption(facts: ImageFacts) -> str:
    """The same kind of caption the knowledge base gives its pictures."""
    labels = describe_labels([lb.name for lb in facts.labels], [k.name for k in facts.kinds])
    return caption(labels, facts.ocr_text)


def which_picture(thing: str, pictures: dict[str, ImageFacts], encode: Encode) -> Which:
    """Which of the pictures (img-1, img-2..., in the chat's order) shows ``thing``: the one
    the classifier puts in that kind (a fruit is food), else the one whose caption is clearly
    the most similar, else, as a guess, the only picture not recognised beside ones that are
    clearly something else; or that none can be told."""
    ids = list(pictures)  # in the chat's order
    bare = _ARTICLE.sub("", thing)
    vectors = encode([bare, *(facts_caption(pictures[i]) for i in ids)])
    scores = dict(zip(ids, (vectors[1:] @ vectors[0]).tolist(), strict=True))
    best = _by_kind(bare, pictures) or _by_caption(scores)
    if best and _recognised(pictures[best]):
        seen = _seen(pictures[best])
        plain = _ARTICLE.sub("", seen.removeprefix("probably "))
        said = "" if plain == bare else f": {seen}"  # not "food: a food"
        return Which(best, True, f"The {_place(best)} ({best}) shows {thing}{said}.")
    if best:  # its caption is close although no label is sure: say it is a likely guess
        closest = ", ".join(lb.name for lb in pictures[best].labels[:3])
        return Which(
            best, False,
            f"The {_place(best)} ({best}) most likely shows {thing} (the classifier's closest "
            f"guesses for it: {closest}).",
        )  # fmt: skip
    unknown = [i for i in ids if not _recognised(pictures[i])]
    others = [i for i in ids if i not in unknown]
    if len(unknown) == 1 and all(scores[i] < UNRELATED for i in others):
        guess, listed = unknown[0], _listed(others, pictures)
        return Which(
            guess, False,
            f"Probably the {_place(guess)} ({guess}): I could not recognise it, and {listed}, "
            f"which is not {thing}.",
        )  # fmt: skip
    listed = _listed(ids, pictures)
    return Which(None, False, f"I can't tell which picture shows {thing}: {listed}.")


def which_note(thing: str, pictures: dict[str, ImageFacts], encode: Encode) -> str:
    """The finding of ``which_picture`` as a note for the model, with what each shows."""
    found = which_picture(thing, pictures, encode)
    if found.picture is None:
        return f"{found.text} Say that you cannot tell which."
    return f"Of the pictures in this chat: {found.text} ({_listed(list(pictures), pictures)})"


def _listed(ids: list[str], pictures: dict[str, ImageFacts]) -> str:
    return "; ".join(f"the {_place(i)} ({i}) shows {_seen(pictures[i])}" for i in ids)


def _by_kind(thing: str, pictures: dict[str, ImageFacts]) -> str | None:
    """The one picture the classifier is sure is of kind ``thing`` (none of the others is)."""
    scores = {i: _kind_score(thing, f) for i, f in pictures.items()}
    sure = [i for i, s in scores.items() if s >= SURE]
    if len(sure) == 1 and all(s == 0.0 for i, s in scores.items() if i != sure[0]):
        return sure[0]
    return None


def _kind_score(thing: str, facts: ImageFacts) -> float:
    wanted = {thing.lower(), thing.lower().removesuffix("s")}
    return max(
        (k.score for k in facts.kinds if wanted & set(re.split(r",\s*|\s+or\s+", k.name))),
        default=0.0,
    )


def _by_caption(scores: dict[str, float]) -> str | None:
    ranked = sorted(scores, key=lambda i: -scores[i])
    runner_up = scores[ranked[1]] if len(ranked) > 1 else -1.0
    top = scores[ranked[0]]
    return ranked[0] if top >= SHOWS and top - runner_up >= LEAD else None


def _recognised(facts: ImageFacts) -> bool:
    sure_label = bool(facts.labels) and facts.labels[0].score >= SURE
    return sure_label or any(k.score >= SURE for k in facts.kinds)


def _seen(facts: ImageFacts) -> str:
    """``headline`` in words that read after "shows"."""
    said = facts.headline()
    if said.startswith("unsure, maybe "):
        return "possibly " + said.removeprefix("unsure, maybe ")
    return said.replace("the classifier did not recognise", "I could not recognise")


def _place(image_id: str) -> str:
    place = ordinal(image_id)
    return f"{place} picture" if place else "picture"
