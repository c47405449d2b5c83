"""A cited passage shown where it sits: on its PDF page, highlighted (text layer or scan), or
inside its section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from knowledge_base import Hit, SourceView
from knowledge_base.source_view import VIEW_WIDTH
from tests.factories import scanned_pdf, text_pdf

FILLER = "The pump controller keeps the pressure steady while the garden is watered. " * 12
FILTER = (
    "To replace the filter cartridge, close the inlet valve, unscrew the blue housing "
    "and rinse the mesh under running water before refitting it."
)


def _highlighted_rows(view: SourceView) -> np.ndarray:
    """Rows of the page image where the highlight colour shows (yellow over white paper)."""
    with Image.open(view.page_image) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    yellow = (r > 235) & (g > 215) & (g < 250) & (b > 100) & (b < 185)
    return np.flatnonzero(yellow.sum(axis=1) > 20)


def _row_of(pdf: Path, page: int, word: str) -> float:
    """Where a word's line is on the page, in the view's pixels."""
    doc = pdfium.PdfDocument(pdf)
    textpage = doc[page - 1].get_textpage()
    width, height = doc[page - 1].get_size()
    searcher = textpage.search(word)
    index, _ = searcher.get_next()
    _, bottom, _, top = textpage.get_charbox(index)
    return (height - (top + bottom) / 2) * VIEW_WIDTH / width


def test_a_cited_pdf_passage_opens_on_its_page_with_only_its_words_highlighted(make_kb, tmp_path):
    kb = make_kb(chunk_tokens=64, chunk_overlap=0)
    pdf = text_pdf(tmp_path / "pump.pdf", ["Contents: pump, filter, valves.", FILLER + FILTER])
    assert kb.ingest([pdf]).ok
    hit = next(h for h in kb.search("replace the filter cartridge", k=3) if "cartridge" in h.text)
    assert hit.page == 2
    view = kb.source_view(hit)
    assert view.page_image and view.marked >= 2
    with Image.open(view.page_image) as image:
        assert image.width == VIEW_WIDTH  # the whole page, readable
    rows = _highlighted_rows(view)
    assert rows.size
    assert rows.min() <= _row_of(pdf, 2, "cartridge") <= rows.max()
    assert _row_of(pdf, 2, "pump controller") < rows.min()  # the page's first lines are not
    assert kb.source_view(hit) == view  # rendered once, then read back


def test_a_scanned_page_is_highlighted_from_its_ocr_boxes(make_kb, tmp_path):
    kb = make_kb()
    lines = ["Boiler service record", "Flue gas reading 42 ppm", "Next service in March"]
    assert kb.ingest([scanned_pdf(tmp_path / "boiler.pdf", lines)]).ok
    hit = kb.search("flue gas reading", k=1)[0]
    view = kb.source_view(hit)
    assert view.page_image and view.marked == 3  # every line of the scan is in the passage
    height = Image.open(view.page_image).height
    rows = _highlighted_rows(view)
    # the scan's three lines sit in its top half: the highlight covers them, nothing below
    assert rows.size and rows.max() < height * 0.8


def test_other_documents_open_inside_their_section(make_kb, tmp_path):
    kb = make_kb(chunk_tokens=40, chunk_overlap=0)
    notes = tmp_path / "garden.md"
    notes.write_text(
        "# Beds\n\n"
        + "Bed 1 holds lettuce and radishes sown in April. " * 4
        + "Bed 3 holds the orange dahlias. "
        + "Bed 5 holds tomatoes staked with hazel poles. " * 4
        + "\n\n# Tools\n\nThe shed keeps the spades and the hose reel.\n"
    )
    assert kb.ingest([notes]).ok
    hit = next(h for h in kb.search("orange dahlias", k=5) if "dahlias" in h.text)
    view = kb.source_view(hit)
    assert view.page_image is None
    assert "Bed" in view.before + view.after  # its neighbours in the same section
    assert "shed" not in view.before + view.after  # not the next section's
    shed = next(h for h in kb.search("spades hose reel", k=5) if "shed" in h.text)
    assert kb.source_view(shed).before == ""  # the first passage of its section


def test_a_passage_the_knowledge_base_does_not_hold_has_no_view(kb, tmp_path):
    pdf = text_pdf(tmp_path / "pump.pdf", [FILTER])
    assert kb.ingest([pdf]).ok
    hit = kb.search("filter cartridge", k=1)[0]
    assert kb.source_view(Hit(**{**hit.to_dict(), "id": "elsewhere:0"})) == SourceView()
    kb.delete(hit.doc_id)
    assert kb.source_view(hit) == SourceView()
    assert not (kb.images_dir / hit.doc_id).exists()  # its kept pages went with it
