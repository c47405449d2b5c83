"""Images (PNG, JPEG, WebP, GIF first frame, BMP, TIFF): stored as image items with OCR text."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from imaging import UnreadableImage, open_image
from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import ImageItem, LoadContext, LoadedDocument


def open_or_reject(source: Path | bytes) -> Image.Image:
    """``open_image`` for the knowledge base: an unreadable image is a ``RejectedFile``."""
    try:
        return open_image(source)
    except UnreadableImage as exc:
        raise RejectedFile(str(exc)) from None


def load_image(path: Path, ctx: LoadContext) -> LoadedDocument:
    image = open_or_reject(path)
    text = ctx.ocr(image) if ctx.ocr else ""
    return LoadedDocument(images=[ImageItem(image=image, text=text)])
