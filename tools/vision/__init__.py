"""Vision: image facts (embedding, labels, OCR, colours, thumbnail), cached by content hash.
The image backends themselves live in ``knowledge_base.embeddings`` (shared with the KB)."""

from imaging import TextLine
from tools.vision.encoder import ImageEncoder
from tools.vision.facts import ColorShare, ImageFacts, Label

__all__ = [
    "ColorShare",
    "ImageEncoder",
    "ImageFacts",
    "Label",
    "TextLine",
]
