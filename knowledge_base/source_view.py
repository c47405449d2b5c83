"""A cited passage shown where it sits, so that a reader can check it at a glance: a PDF
passage on its rendered page with its words highlighted (boxes from the text layer, or from
the OCR of a scanned page), any other passage with the text around it in its section."""

from __future__ import annotations

import difflib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

from knowledge_base.ingest import LINES_FILE, PAGES_FILE
from knowledge_base.types import Hit

VIEW_WIDTH = 1000  # pixels: a page's body text stays readable in the chat
CONTEXT_CHARS = 400  # of the section before and after a passage
CONTEXT_PX = 60  # of the page around the highlighted lines in the excerpt
MIN_RUN = 3  # words in a row that must match for the page to be marked there
_TOKEN = re.compile(r"[^\W_]+")
HIGHLIGHT = (255, 214, 0, 110)
OUTLINE = (230, 150, 0, 255)

Box = tuple[float, float, float, float]  # left, top, right, bottom, in view pixels


@dataclass(frozen=True)
class SourceView:
    """Where a cited passage sits: its page rendered with the passage highlighted, or the
    text around it within its section."""

    page_image: str | None = None
    marked: int = 0  # how many boxes on the page mark the passage
    excerpt_image: str | None = None  # the highlighted part of the page, with a margin
    before: str = ""
    after: str = ""


def page_view(folder: Path, hit: Hit) -> SourceView | None:
    """The hit's PDF page with its passage highlighted (cached next to the document), or
    None when the document kept no pages (not a PDF, or ingested before they were kept)."""
    pdf_path = folder / PAGES_FILE
    if hit.page is None or not pdf_path.is_file():
        return None
    target = folder / "views" / f"p{hit.page}-c{hit.chunk_index}.jpg"
    excerpt = target.with_name(f"{target.stem}-excerpt.jpg")
    count_file = target.with_suffix(".json")
    if target.is_file() and count_file.is_file():
        marked = json.loads(count_file.read_text())
        return SourceView(str(target), marked, str(excerpt) if marked else None)
    rendered = _rendered(pdf_path, hit.page, _scan_lines(folder, hit.page))
    if rendered is None:
        return None
    image, words = rendered
    boxes = _line_boxes(_matched(words, _TOKEN.findall(hit.text.lower())))
    _highlight(image, boxes)
    target.parent.mkdir(exist_ok=True)
    _save(image, target)
    if boxes:
        _save(image.crop(_around(boxes, image.size)), excerpt)
    count_file.write_text(json.dumps(len(boxes)))
    return SourceView(str(target), len(boxes), str(excerpt) if boxes else None)


def _save(image: Image.Image, target: Path) -> None:
    # Written aside and renamed: two answers citing the same page may render it together.
    partial = target.with_suffix(f".{threading.get_ident()}.part")
    image.save(partial, "JPEG", quality=82)
    partial.replace(target)


def _around(boxes: list[Box], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The part of the page that shows the passage: its lines' column, and a few lines of
    context above and below."""
    left = min(b[0] for b in boxes) - CONTEXT_PX
    top = min(b[1] for b in boxes) - CONTEXT_PX
    right = max(b[2] for b in boxes) + CONTEXT_PX
    bottom = max(b[3] for b in boxes) + CONTEXT_PX
    return max(0, int(left)), max(0, int(top)), min(size[0], int(right)), min(size[1], int(bottom))


def section_view(hit: Hit, items: dict[str, Hit]) -> SourceView:
    """The passage with the end of the one before it and the start of the one after it,
    where they belong to the same section."""

    def neighbour(offset: int) -> str:
        other = items.get(f"{hit.doc_id}:{hit.chunk_index + offset}")
        same = other is not None and other.heading == hit.heading and other.page == hit.page
        return other.text if same else ""

    before, after = neighbour(-1), neighbour(1)
    return SourceView(before=_tail(_without_overlap(before, hit.text)), after=after[:CONTEXT_CHARS])


def _without_overlap(before: str, text: str) -> str:
    """The previous chunk less what it repeats at the start of this one (chunks overlap)."""
    head = text[:200]
    for size in range(min(len(before), len(head)), 20, -1):
        if before.endswith(head[:size]):
            return before[:-size]
    return before


def _tail(text: str) -> str:
    if len(text) <= CONTEXT_CHARS:
        return text
    cut = text[-CONTEXT_CHARS:]
    return "…" + cut[cut.find(" ") + 1 :]


Word = tuple[str, Box]


def _rendered(
    pdf_path: Path, number: int, scan: list[tuple[str, Box]] | None
) -> tuple[Image.Image, list[Word]] | None:
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        if not 1 <= number <= len(pdf):
            return None
        page = pdf[number - 1]
        try:
            width, height = page.get_size()
            scale = VIEW_WIDTH / width
            image = page.render(scale=scale).to_pil().convert("RGB")
            if scan is not None:
                return image, _scan_words(scan, image.size)
            return image, _layer_words(page, scale, height)
        finally:
            page.close()
    finally:
        pdf.close()


def _layer_words(page: pdfium.PdfPage, scale: float, height: float) -> list[Word]:
    """The page's words from its text layer, each with the box around its characters."""
    textpage = page.get_textpage()
    words: list[Word] = []
    chars: list[str] = []
    box: list[float] = []
    try:
        for i in range(textpage.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
            if not char.isalnum():
                if chars:
                    words.append(("".join(chars).lower(), tuple(box)))  # type: ignore[arg-type]
                chars, box = [], []
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            found = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
            box = list(found) if not box else _union(box, found)
            chars.append(char)
        if chars:
            words.append(("".join(chars).lower(), tuple(box)))  # type: ignore[arg-type]
    finally:
        textpage.close()
    return words


def _scan_lines(folder: Path, number: int) -> list[tuple[str, Box]] | None:
    """The OCR lines kept for a scanned page, or None for a page with a text layer."""
    try:
        pages = json.loads((folder / LINES_FILE).read_text())
    except (OSError, ValueError):
        return None
    lines = pages.get(str(number))
    return [(text, tuple(box)) for text, box in lines] if lines else None


def _scan_words(lines: list[tuple[str, Box]], size: tuple[int, int]) -> list[Word]:
    """Each OCR line's words, its box shared out by their position in the line."""
    width, height = size
    words: list[Word] = []
    for text, (left, top, right, bottom) in lines:
        span = max(1, len(text))
        for match in _TOKEN.finditer(text):
            x0 = left + (right - left) * match.start() / span
            x1 = left + (right - left) * match.end() / span
            box = (x0 * width, top * height, x1 * width, bottom * height)
            words.append((match[0].lower(), box))
    return words


def _matched(words: list[Word], passage: list[str]) -> list[Box]:
    """The boxes of the page's words that the passage repeats in runs (a chunk is the page's
    text, cut and re-spaced; runs also skip the odd word that OCR or hyphens changed)."""
    found = difflib.SequenceMatcher(None, [w for w, _ in words], passage, autojunk=False)
    least = min(MIN_RUN, len(passage))
    return [
        words[block.a + k][1]
        for block in found.get_matching_blocks()
        if block.size >= least
        for k in range(block.size)
    ]


def _line_boxes(boxes: list[Box]) -> list[Box]:
    """Word boxes in reading order, joined into one box per line."""
    lines: list[list[float]] = []
    for box in boxes:
        if lines and _same_line(lines[-1], box) and box[0] >= lines[-1][0]:
            lines[-1] = _union(lines[-1], box)
        else:
            lines.append(list(box))
    return [tuple(line) for line in lines]  # type: ignore[misc]


def _same_line(line: list[float], box: Box) -> bool:
    middle = (box[1] + box[3]) / 2
    return line[1] <= middle <= line[3]


def _union(a: list[float] | Box, b: Box) -> list[float]:
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


def _highlight(image: Image.Image, boxes: list[Box]) -> None:
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, top, right, bottom in boxes:
        draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=HIGHLIGHT, outline=OUTLINE)
    image.paste(Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"))
