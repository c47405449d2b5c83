"""PDF via PDFium: text per page; pages with no text layer and embedded images go through OCR."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from imaging import to_rgb
from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import (
    ImageItem,
    LoadContext,
    LoadedDocument,
    Section,
    require_magic,
)

# 2x renders a letter page at 144 dpi: enough for OCR of body text, cheap to process.
OCR_RENDER_SCALE = 2.0
MIN_TEXT_CHARS = 8


def _open(path: Path) -> pdfium.PdfDocument:
    require_magic(path, b"%PDF-", "PDF", within=1024)
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise RejectedFile("PDF is encrypted (password-protected)") from None
        raise RejectedFile(f"not a valid PDF (corrupt): {exc}") from None


def load_pdf(path: Path, ctx: LoadContext) -> LoadedDocument:
    pdf = _open(path)
    try:
        pages = len(pdf)
        if pages > ctx.max_pages:
            raise RejectedFile(f"PDF has {pages:,} pages; the limit is {ctx.max_pages:,}")
        doc = LoadedDocument(pages=pages)
        for number in range(1, pages + 1):
            page = pdf[number - 1]
            try:
                _load_page(page, number, ctx, doc)
            finally:
                page.close()
        return doc
    finally:
        pdf.close()


def _load_page(page: pdfium.PdfPage, number: int, ctx: LoadContext, doc: LoadedDocument) -> None:
    textpage = page.get_textpage()
    text = textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
    textpage.close()
    if len(text.strip()) >= MIN_TEXT_CHARS:
        doc.sections.append(Section(text, page=number))
        _embedded_images(page, number, ctx, doc)
    elif ctx.ocr:
        rendered = page.render(scale=OCR_RENDER_SCALE).to_pil()
        ocr_text = ctx.ocr(rendered)
        if ocr_text.strip():
            doc.sections.append(Section(ocr_text, page=number, ocr=True))


def _embedded_images(
    page: pdfium.PdfPage, number: int, ctx: LoadContext, doc: LoadedDocument
) -> None:
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        if len(doc.images) >= ctx.max_images:
            return
        try:
            image = to_rgb(obj.get_bitmap(render=False).to_pil())
        except (pdfium.PdfiumError, OSError, ValueError):
            continue  # an undecodable figure should not cost the document its text
        if min(image.size) < ctx.min_image_side:
            continue
        text = ctx.ocr(image) if ctx.ocr else ""
        doc.images.append(ImageItem(image=image, text=text, page=number))
