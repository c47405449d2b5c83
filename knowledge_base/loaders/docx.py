"""DOCX: paragraphs and tables in order; Heading/Title styles become section headings."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image

from imaging import to_rgb
from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import (
    ImageItem,
    LoadContext,
    LoadedDocument,
    Section,
    require_magic,
)
from knowledge_base.loaders.figures import CAPTION


def _heading_level(paragraph: Paragraph) -> int | None:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name == "Title":
        return 1
    if name.startswith("Heading "):
        suffix = name.removeprefix("Heading ")
        return int(suffix) if suffix.isdigit() else None
    return None


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table as lines. With a header row (words, no numbers), each row names its columns
    ("Case: Changed your mind; Who pays: You pay 5.00 EUR"), so a passage cut from the middle
    of the table still says what each value is; otherwise cells joined by " | "."""
    header = rows[0] if len(rows) > 1 else []
    if len(header) > 1 and all(h and not any(ch.isdigit() for ch in h) for h in header):
        return [
            "; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=False) if v)
            for row in rows[1:]
        ]
    return [" | ".join(row) for row in rows]


def _blocks(document: Document) -> list[Paragraph | Table]:
    return list(document.iter_inner_content())


def load_docx(path: Path, ctx: LoadContext) -> LoadedDocument:
    # Encrypted Office files are OLE containers, not zips: the signature check catches them.
    require_magic(path, b"PK\x03\x04", "DOCX (corrupt, or password-protected)")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise RejectedFile(f"not a valid DOCX (corrupt): {exc}") from None
    doc = LoadedDocument(sections=_sections(document))
    doc.images = _images(document, ctx)
    return doc


def _sections(document: Document) -> list[Section]:
    sections: list[Section] = []
    headings: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        if any(line.strip() for line in lines):
            sections.append(Section("\n".join(lines), heading=" > ".join(headings) or None))
        lines.clear()

    for block in _blocks(document):
        if isinstance(block, Table):
            lines.extend(table_lines([[c.text.strip() for c in row.cells] for row in block.rows]))
            continue
        level = _heading_level(block)
        if level is None:
            lines.append(block.text)
            continue
        flush()
        del headings[level - 1 :]
        headings.append(block.text.strip())
        lines.append(block.text)
    flush()
    return sections


def _images(document: Document, ctx: LoadContext) -> list[ImageItem]:
    items = []
    captions = _captions(document)
    for rid, part in document.part.related_parts.items():
        if not part.content_type.startswith("image/") or len(items) >= ctx.max_images:
            continue
        try:
            with Image.open(io.BytesIO(part.blob)) as img:
                image = to_rgb(img)
        except Exception:
            continue
        if min(image.size) >= ctx.min_image_side:
            text = ctx.ocr(image) if ctx.ocr else ""
            items.append(ImageItem(image=image, text=text, caption=captions.get(rid, "")))
    return items


def _captions(document: Document) -> dict[str, str]:
    """Each inline picture's caption (by its relationship id): a Caption-style paragraph or
    one that starts "Figure 3", just after the picture or just before it."""
    paragraphs = [b for b in _blocks(document) if isinstance(b, Paragraph)]
    found: dict[str, str] = {}
    for n, paragraph in enumerate(paragraphs):
        ids = [blip.get(qn("r:embed")) for blip in paragraph._p.iter(qn("a:blip"))]
        if not ids:
            continue
        near = [paragraphs[k] for k in (n, n + 1, n + 2, n - 1) if 0 <= k < len(paragraphs)]
        caption = next((p.text.strip() for p in near if _is_caption(p)), "")
        found.update((rid, caption) for rid in ids if rid)
    return found


def _is_caption(paragraph: Paragraph) -> bool:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    text = paragraph.text.strip()
    return bool(text) and (style == "Caption" or bool(CAPTION.match(text)))
