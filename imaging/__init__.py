"""Image decoding and OCR: the bottom layer, shared by the knowledge base and the tools."""

from imaging.decode import MAX_PIXELS, UnreadableImage, open_image, to_rgb
from imaging.ocr import Ocr, TextLine, reading_order

__all__ = [
    "MAX_PIXELS",
    "Ocr",
    "TextLine",
    "UnreadableImage",
    "open_image",
    "reading_order",
    "to_rgb",
]
