"""Vision: image facts (embedding, labels, OCR, colours, thumbnail), cached by content hash.
The image backends themselves live in ``knowledge_base.embeddings`` (shared with the KB)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imaging import TextLine
from tools.vision.facts import ColorShare, ImageFacts, Label

if TYPE_CHECKING:
    from tools.vision.encoder import ImageEncoder


def __getattr__(name: str) -> Any:
    # The encoder imports the vision models' stack: it loads when first named.
    if name == "ImageEncoder":
        from tools.vision.encoder import ImageEncoder

        return ImageEncoder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ColorShare",
    "ImageEncoder",
    "ImageFacts",
    "Label",
    "TextLine",
]
