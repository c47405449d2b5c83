"""What the image encoder knows about an image, and how that reads as text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from imaging import TextLine
from knowledge_base.embeddings.image_backend import Label


@dataclass(frozen=True)
class ColorShare:
    name: str
    share: float
    rgb: tuple[int, int, int]


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
    thumbnail_jpeg: bytes = field(default=b"", repr=False)

    @property
    def ocr_text(self) -> str:
        return "\n".join(line.text for line in self.text)

    def describe(self) -> str:
        """The facts as compact text: for the composed VLM and for text -> image search."""
        labels = ", ".join(f"{lb.name} ({lb.score:.2f})" for lb in self.labels) or "none"
        colors = ", ".join(f"{c.name} {c.share:.0%}" for c in self.colors) or "unknown"
        text = " / ".join(line.text for line in self.text) or "none"
        return (
            f"Size: {self.width}x{self.height} pixels\n"
            f"Labels: {labels}\nText in image: {text}\nDominant colours: {colors}"
        )

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
            colors=[ColorShare(c["name"], c["share"], tuple(c["rgb"])) for c in data["colors"]],
            thumbnail_jpeg=thumbnail,
        )
