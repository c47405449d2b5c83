"""Vision: image facts (embedding, labels, OCR, colours, thumbnail) from registered backends."""

from tools.vision.encoder import ImageEmbeddingFunction, ImageEncoder
from tools.vision.facts import ColorShare, ImageFacts, Label, TextLine
from tools.vision.registry import IMAGE_BACKENDS, create_backend

__all__ = [
    "IMAGE_BACKENDS",
    "ColorShare",
    "ImageEmbeddingFunction",
    "ImageEncoder",
    "ImageFacts",
    "Label",
    "TextLine",
    "create_backend",
]
