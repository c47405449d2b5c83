"""PDF via PDFium: text per page; pages with no text layer and embedded images go through OCR."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from imaging import to_rgb
from imaging.ocr import text_of
from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import (
    ImageItem,
    LoadContext,
    LoadedDocument,
    Section,
    require_magic,
)
from knowledge_base.loaders.figures import Box, caption_near, vector_regions

# 2x renders a letter page at 144 dpi: enough for OCR of body text, cheap to process.
OCR_RENDER_SCALE = 2.0
MIN_TEXT_CHARS = 8
FIGURE_RENDER_SCALE = 2.0  # a vector figure rendered at 144 dpi: its labels stay readable


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
    try:
        text = textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
        if len(text.strip()) >= MIN_TEXT_CHARS:
            doc.sections.append(Section(text, page=number))
            width = page.get_size()[0]

            def figure(image: Image.Image, box: Box) -> ImageItem:
                """A figure of this page as a picture item: its OCR text and its caption."""
                caption = caption_near(box, textpage.get_text_bounded, text, width)
                ocr_text = ctx.ocr(image) if ctx.ocr else ""
                return ImageItem(image=image, text=ocr_text, page=number, caption=caption)

            taken = _embedded_images(page, figure, ctx, doc)
            _vector_figures(page, figure, ctx, doc, taken)
            return
    finally:
        textpage.close()
    if ctx.ocr:
        rendered = page.render(scale=OCR_RENDER_SCALE).to_pil()
        ocr_text = _read_scan(rendered, number, ctx, doc)
        if ocr_text.strip():
            doc.sections.append(Section(ocr_text, page=number, ocr=True))


def _read_scan(rendered: Image.Image, number: int, ctx: LoadContext, doc: LoadedDocument) -> str:
    """A scanned page's text; where the OCR gives boxes, each line's place is kept too."""
    if ctx.ocr_lines is None:
        return ctx.ocr(rendered) if ctx.ocr else ""
    lines = ctx.ocr_lines(rendered)
    width, height = rendered.size
    doc.page_lines[number] = [(line.text, _page_box(line.box, width, height)) for line in lines]
    return text_of(lines)


def _page_box(
    corners: tuple[tuple[float, float], ...], width: int, height: int
) -> tuple[float, float, float, float]:
    """A line's box as fractions of the page: left, top, right, bottom."""
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return (min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height)


Figure = Callable[[Image.Image, Box], ImageItem]


def _embedded_images(
    page: pdfium.PdfPage, figure: Figure, ctx: LoadContext, doc: LoadedDocument
) -> list[Box]:
    """The page's bitmaps as picture items; returns where they are."""
    taken = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        if len(doc.images) >= ctx.max_images:
            break
        try:
            image = to_rgb(obj.get_bitmap(render=False).to_pil())
            box = obj.get_bounds()
        except (pdfium.PdfiumError, OSError, ValueError):
            continue  # an undecodable figure should not cost the document its text
        taken.append(box)
        if min(image.size) >= ctx.min_image_side:
            doc.images.append(figure(image, box))
    return taken


def _vector_figures(
    page: pdfium.PdfPage, figure: Figure, ctx: LoadContext, doc: LoadedDocument, taken: list[Box]
) -> None:
    """Charts and diagrams drawn as paths: each dense region rendered as a picture item."""
    paths = [obj.get_bounds() for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH])]
    width, height = page.get_size()
    for box in vector_regions(paths, (width, height), taken):
        if len(doc.images) >= ctx.max_images:
            return
        left, bottom, right, top = box
        crop = (left, bottom, width - right, height - top)
        doc.images.append(
            figure(to_rgb(page.render(scale=FIGURE_RENDER_SCALE, crop=crop).to_pil()), box)
        )
