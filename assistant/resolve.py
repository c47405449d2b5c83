"""Which of the session's images a turn is about."""

from __future__ import annotations

import re

from assistant.memory import StoredImage
from tools.answering.grounding import stem
from tools.answering.prompt import ORDINALS as ORDINAL_WORDS

ORDINALS = {word: n for n, word in enumerate(ORDINAL_WORDS, start=1)}
_NOUN = r"(?:image|picture|photo|pic|screenshot|img|one)"


# Words that point at a picture of the chat: a question without them, asked after a picture,
# is about the documents ("Who is the caretaker?") and is searched as such.
_POINTS_AT_PICTURE = re.compile(
    rf"\b({_NOUN}s?|this|these|here|shown|shows?|see|seen|visible|look\w*|colou?rs?|"
    r"written|says?|read)\b",
    re.I,
)


# Words that carry no subject: what is left of a question names what it is about.
_FUNCTION_TEXT = """what which who whom whose when where why how many much is are was were be
been do does did can could would should will the this that these those its it's there here of
in on at to for with from by and or not any some your you my me our they them their his her one
tell know please"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


def asks_documents(text: str, documents: list[str], shown: list[str]) -> bool:
    """Does a follow-up that points at no picture ask about the documents found rather than
    the picture in view? Yes when one document holds every word of its subject and none of
    them is among what the picture shows: "Is the bee collecting pollen?" asks about the bee
    photo even beside an orchard log that mentions bees, and "How many brushes are there?"
    about the picture when no document says "brushes"."""
    words = [
        stem(w) for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if w not in _FUNCTION_WORDS
    ]
    if not words:
        return False
    things = " ".join(shown).lower()
    if any(re.search(rf"\b{re.escape(w)}", things) for w in words):
        return False
    return any(all(re.search(rf"\b{re.escape(w)}", d.lower()) for w in words) for d in documents)


# "Do my documents say anything about this?", "Find the manual for this": the picture is the
# query, not the subject of the answer.
_PICTURE_AS_QUERY = re.compile(
    r"\b(?:documents?|docs|files|notes|manuals?|knowledge base|library)\b[^?.]*\b(?:this|these|"
    r"it|that)\b|\b(?:manual|documentation|instructions|datasheet|guide|notes?)\s+(?:for|on|"
    r"about|of)\s+(?:this|these|it|that)\b|\bis (?:this|it) (?:in|covered (?:in|by)) my\b",
    re.I,
)


def picture_as_query(text: str) -> bool:
    """Does the question ask the documents about the picture ("Find the manual for this")?"""
    return bool(_PICTURE_AS_QUERY.search(text))


def about_pictures(text: str, new: list[str]) -> bool:
    """Is the question about the chat's pictures? Yes for pictures sent with it, and for a
    question that points at one; the chat's last picture stays in view either way."""
    return bool(new) or bool(_POINTS_AT_PICTURE.search(text))


def resolve(text: str, images: list[StoredImage], new: list[str]) -> list[str]:
    """Image ids in the order the text names them; else the new ones; else the most recent."""
    if not images:
        return []
    by_number = {img.number: img.image_id for img in images}
    lower = text.lower()
    named: list[str] = []

    def add(image_id: str | None) -> None:
        if image_id and image_id not in named:
            named.append(image_id)

    for match in re.finditer(rf"\b(?:{_NOUN})[\s#-]*(\d+)\b", lower):
        add(by_number.get(int(match.group(1))))
    for word, n in ORDINALS.items():
        if re.search(rf"\b{word}\b", lower):
            add(by_number.get(n))
    ordered = sorted(images, key=lambda img: img.number)
    if re.search(r"\b(last|latest|most recent)\b", lower):
        add(ordered[-1].image_id)
    if re.search(r"\b(previous|earlier|before)\b", lower) and len(ordered) > 1:
        add(ordered[-2].image_id)
    if re.search(r"\b(both|two)\b", lower):
        for img in ordered[-2:]:
            add(img.image_id)
    if re.search(r"\b(all|every|each)\b.*\b(images|pictures|photos)\b", lower):
        for img in ordered:
            add(img.image_id)
    for img in ordered if not new else []:  # "the cat one": a label word the text uses
        words = {w for label in img.labels for w in re.findall(r"[a-z]{3,}", label.lower())}
        if words & set(re.findall(r"[a-z]{3,}", lower)):
            add(img.image_id)
    if named and new and re.search(r"\b(compare|with|versus|vs|differ\w*|same|like)\b", lower):
        return list(new) + [i for i in named if i not in new]  # "compare it with image 1"
    if named:
        return named
    return list(new) or [ordered[-1].image_id]
