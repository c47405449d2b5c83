"""Images (PNG, JPEG, WebP, GIF first frame, BMP, TIFF): stored as image items with OCR text."""

from __future__ import annotations

from pathlib import Path

from imaging import UnreadableImage, open_image
from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import ImageItem, LoadContext, LoadedDocument


def load_image(path: Path, ctx: LoadContext) -> LoadedDocument:
    try:
        image = open_image(path)
    except UnreadableImage as exc:
        raise RejectedFile(str(exc)) from None
    text = ctx.ocr(image) if ctx.ocr else ""
    return LoadedDocument(images=[ImageItem(image=image, text=text)])
