"""Loader registry: file extension -> loader. Content is checked by each loader, not trusted."""

from __future__ import annotations

from pathlib import Path

from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import (
    ImageItem,
    LoadContext,
    LoadedDocument,
    Loader,
    Section,
)
from knowledge_base.loaders.docx import load_docx
from knowledge_base.loaders.html import load_html
from knowledge_base.loaders.image import load_image
from knowledge_base.loaders.markdown import load_markdown
from knowledge_base.loaders.pdf import load_pdf
from knowledge_base.loaders.text import load_text

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
    ".png": load_image,
    ".jpg": load_image,
    ".jpeg": load_image,
    ".webp": load_image,
    ".gif": load_image,
    ".bmp": load_image,
    ".tif": load_image,
    ".tiff": load_image,
}

SUPPORTED = tuple(sorted(LOADERS))


def loader_for(path: Path) -> Loader:
    try:
        return LOADERS[path.suffix.lower()]
    except KeyError:
        kind = f"'{path.suffix}'" if path.suffix else "files without an extension"
        raise RejectedFile(
            f"unsupported file type {kind} (supported: {', '.join(SUPPORTED)})"
        ) from None


def load(path: Path, ctx: LoadContext) -> LoadedDocument:
    doc = loader_for(path)(path, ctx)
    if doc.is_empty:
        raise RejectedFile("no text or images found in this file")
    return doc


__all__ = [
    "LOADERS",
    "SUPPORTED",
    "ImageItem",
    "LoadContext",
    "LoadedDocument",
    "Section",
    "load",
    "loader_for",
]
