"""What the image encoder knows about an image, and how that reads as text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from imaging import TextLine
from knowledge_base.embeddings.image_backend import Label
from knowledge_base.embeddings.kinds import GENERAL

SURE = 0.5  # a label at least this probable is stated as what the image shows
# A kind sums dozens of classes, and the classifier spreads a look-alike over one family
# (foliage onto monkeys, a horse's silhouette onto dogs): on the dev photos and eval/dev, two of
# six kinds summed between 0.5 and 0.8 were wrong and none of the specific ones above. Between
# SURE and this a kind is "probably"; a general kind (animal, food) sums several families, so
# it is sure only beside a sure specific one.
KIND_SURE = 0.8
GUESS = 0.2  # below this a label is not worth naming at all
MENTION = 0.1  # labels listed next to the best one
READABLE = 0.8  # OCR confidence of a line that counts as text on its own


@dataclass(frozen=True)
class ColorShare:
    name: str
    share: float
    rgb: tuple[int, int, int]


def _shares(colors: list[ColorShare]) -> str:
    """Colour names, largest first, in words: figures here end up as percentages in answers."""
    names = [c.name for c in colors]
    if names and colors[0].share >= 0.5:
        names[0] += " (most)"
    return ", ".join(names)


def _script(text: str) -> str:
    """The writing system of a line's letters: "latin", "cjk" or "other" (digits: "")."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return ""
    if all(ch.isascii() or "\u00c0" <= ch <= "\u024f" for ch in letters):
        return "latin"
    if all("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in letters):
        return "cjk"
    return "other"


def readable(lines: list[TextLine]) -> list[TextLine]:
    """The lines that are text in the image, not OCR noise: a photo with only one or two
    stray characters (a "T" in a leaf, an "8" in a cup) has no text, and glyphs of a script the
    rest of the image's text does not use are not read into it."""
    words = [ln for ln in lines if _alnum(ln.text) >= 3 and ln.confidence >= READABLE]
    if not words:
        return []
    scripts = {_script(ln.text) for ln in words} - {""}
    return [
        ln
        for ln in lines
        if ln.confidence >= READABLE / 2
        and (_alnum(ln.text) >= 3 or ln.confidence >= READABLE)
        and (_script(ln.text) in scripts or not _script(ln.text))
    ]


def article(noun: str) -> str:
    """ "a bird", "an insect"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _alnum(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


@dataclass(frozen=True)
class ImageFacts:
    sha256: str  # of the image's source bytes: its identity in caches and in memory
    width: int
    height: int
    backend: str
    embedding: list[float] = field(repr=False)
    labels: list[Label]
    text: list[TextLine]
    colors: list[ColorShare]
    #: Kinds of thing (bird, vehicle, food...) with the classifier's summed probability.
    kinds: list[Label] = field(default_factory=list)
    #: Colours of the main object (centre pixels unlike the edges); empty when none stands out.
    object_colors: list[ColorShare] = field(default_factory=list)
    #: "photo", "graphic" or "document" when the pixels say so plainly; "" otherwise. Code
    #: answers "is this a photo or a drawing?" from it; the model's prompt leaves it out.
    image_kind: str = ""
    thumbnail_jpeg: bytes = field(default=b"", repr=False)

    @property
    def ocr_text(self) -> str:
        return "\n".join(line.text for line in readable(self.text))

    def describe(self) -> str:
        """The facts as compact text for the composed VLM, uncertainty spelled out: a label
        the classifier is unsure of reads as a guess, never as a fact."""
        colors = _shares(self.colors) or "unknown"
        text = " / ".join(line.text for line in readable(self.text)) or "none"
        main = f"Colours of the main object: {_shares(self.object_colors)}\n"
        return (
            f"Size: {self.width}x{self.height} pixels\n{self._what()}\n"
            f"Text in image: {text}\n{main if self.object_colors else ''}"
            f"Colours of the whole image: {colors}"
        )

    def sure_kinds(self) -> list[Label]:
        """The kinds the classifier is sure of, the most specific first (the order of
        ``kinds``); empty when no specific kind is sure."""
        sure = [k for k in self.kinds if k.score >= KIND_SURE]
        return sure if sure and sure[0].name not in GENERAL else []

    def sure_kind(self) -> Label | None:
        """The most specific kind the classifier is sure of."""
        return next(iter(self.sure_kinds()), None)

    def likely_kind(self) -> Label | None:
        """The most specific kind that is probable but not sure: said as "probably"."""
        if self.sure_kind():
            return None
        return next((k for k in self.kinds if k.score >= SURE), None)

    def headline(self) -> str:
        """What the image shows, in a few words: for referring back to it later."""
        kind, likely = self.sure_kind(), self.likely_kind()
        best = self.labels[0] if self.labels else None
        if best and best.score >= SURE:
            return f"{best.name}" + (f" ({kind.name})" if kind else "")
        maybe = f", maybe {best.name}" if best and best.score >= GUESS else ""
        if kind or likely:
            return f"{'' if kind else 'probably '}{article((kind or likely).name)}{maybe}"
        if best and best.score >= GUESS:
            return f"unsure, maybe {best.name}"
        return "something the classifier did not recognise"

    def _what(self) -> str:
        kind, likely = self.sure_kind(), self.likely_kind()
        best = self.labels[0].score if self.labels else 0.0
        shown = [lb for lb in self.labels[:3] if lb.score >= MENTION] or self.labels[:1]
        listed = ", ".join(f"{lb.name} ({lb.score:.2f})" for lb in shown)
        lines = [f"Kind of thing: {kind.name} ({kind.score:.2f})"] if kind else []
        if likely:
            lines = [f"Kind of thing: probably {likely.name}, not sure ({likely.score:.2f})"]
        if best >= SURE:
            lines.append(f"Labels: {listed}")
        elif best >= GUESS:
            lines.append(f"Labels: uncertain guesses, may be wrong: {listed}")
        elif not lines:
            lines.append("Labels: no confident label (the classifier does not know this)")
        return "\n".join(lines) or "Labels: none"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("thumbnail_jpeg")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], thumbnail: bytes = b"") -> ImageFacts:
        return cls(
            sha256=data.get("sha256") or data["image_id"],  # "image_id" in older caches
            width=data["width"],
            height=data["height"],
            backend=data["backend"],
            embedding=list(data["embedding"]),
            labels=[Label(**lb) for lb in data["labels"]],
            text=[
                TextLine(t["text"], t["confidence"], tuple(tuple(p) for p in t["box"]))
                for t in data["text"]
            ],
            colors=_read_colors(data["colors"]),
            kinds=[Label(**k) for k in data.get("kinds", [])],
            object_colors=_read_colors(data.get("object_colors", [])),
            image_kind=data.get("image_kind", ""),
            thumbnail_jpeg=thumbnail,
        )


def _read_colors(rows: list[dict[str, Any]]) -> list[ColorShare]:
    return [ColorShare(c["name"], c["share"], tuple(c["rgb"])) for c in rows]
