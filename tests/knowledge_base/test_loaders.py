"""Each loader on a real generated file: text, page numbers, headings, OCR."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge_base.loaders import LoadContext, load
from knowledge_base.loaders.html import html_to_markdown
from knowledge_base.loaders.text import decode_text
from tests import factories


@pytest.fixture
def ctx(ocr) -> LoadContext:
    return LoadContext(max_pages=100, ocr=ocr)


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def test_text_pdf_keeps_page_numbers(tmp_path: Path, ctx):
    path = factories.text_pdf(tmp_path / "a.pdf", ["Alpha page one.", "Beta page two."])
    doc = load(path, ctx)
    assert doc.pages == 2
    assert [(s.page, _norm(s.text)) for s in doc.sections] == [
        (1, "alpha page one."),
        (2, "beta page two."),
    ]
    assert not any(s.ocr for s in doc.sections)


def test_scanned_pdf_page_goes_through_ocr(tmp_path: Path, ctx):
    path = factories.scanned_pdf(
        tmp_path / "scan.pdf", ["Invoice number 2291", "Total due 431.50 EUR"]
    )
    doc = load(path, ctx)
    assert len(doc.sections) == 1
    section = doc.sections[0]
    assert section.ocr and section.page == 1
    assert "invoice number 2291" in _norm(section.text)
    assert "431.50" in section.text


def test_pdf_figure_becomes_an_image_item_with_ocr_text(tmp_path: Path, ctx):
    path = factories.pdf_with_figure(
        tmp_path / "fig.pdf", "The chart below shows sales.", ["Q3 revenue 88 million"], tmp_path
    )
    doc = load(path, ctx)
    assert "chart below" in _norm(doc.sections[0].text)
    assert len(doc.images) == 1
    assert doc.images[0].page == 1
    assert "revenue 88 million" in _norm(doc.images[0].text)


def test_pdf_figures_carry_their_captions_and_vector_charts_become_pictures(tmp_path: Path, ctx):
    doc = load(factories.pdf_with_figures(tmp_path / "pump.pdf", tmp_path), ctx)
    assert [item.page for item in doc.images] == [1, 2]
    diagram, chart = doc.images
    assert diagram.caption.startswith("Figure 3: Wiring diagram of the pump controller.")
    assert "relay sits between sensor and motor" in diagram.caption  # the sentence citing it
    # its only words are in its caption (OCR may read a box as a stray glyph)
    assert "Wiring diagram" in diagram.searchable and not re.search(r"[A-Za-z]{3}", diagram.text)
    assert chart.caption.startswith("Figure 4: Monthly rainfall in Bergen")
    assert chart.image.width > 300 and chart.image.height > 150  # rendered from its paths
    # the caption only: the text around it is not the figure's
    assert "impeller" not in diagram.caption and "wettest" not in chart.caption


def test_docx_headings_tables_and_pictures(tmp_path: Path, ctx):
    path = factories.docx_file(tmp_path / "g.docx", tmp_path, figure_lines=["Tamp with 15 kg"])
    doc = load(path, ctx)
    by_heading = {s.heading: _norm(s.text) for s in doc.sections}
    assert "grind the beans fine" in by_heading["Espresso Guide > Grinding"]
    brewing = by_heading["Espresso Guide > Brewing"]
    assert "36 grams" in brewing and "yield | 36 g" in brewing
    assert len(doc.images) == 1 and "tamp with 15 kg" in _norm(doc.images[0].text)
    assert doc.images[0].caption == ""  # no caption: nothing made up


def test_a_docx_pictures_caption_comes_with_it(tmp_path: Path, ctx):
    path = factories.docx_file(
        tmp_path / "g.docx", tmp_path, ["Tamp with 15 kg"], caption="Figure 2: Tamping the puck"
    )
    (picture,) = load(path, ctx).images
    assert picture.caption == "Figure 2: Tamping the puck"
    assert picture.searchable.startswith("Figure 2: Tamping the puck\n")


def test_html_visible_text_with_headings(tmp_path: Path, ctx):
    path = tmp_path / "r.html"
    path.write_text(factories.HTML)
    doc = load(path, ctx)
    joined = " ".join(_norm(s.text) for s in doc.sections)
    assert "do-not-index" not in joined and "color: red" not in joined
    headings = {s.heading for s in doc.sections}
    assert "Router Setup > Reset" in headings
    reset = next(s for s in doc.sections if s.heading == "Router Setup > Reset")
    assert "12 seconds" in reset.text and "192.168.7.1" in reset.text


def test_html_inline_tags_do_not_break_sentences():
    assert "into the blue port" in html_to_markdown("<p>into the <b>blue</b> port</p>")


def test_markdown_heading_paths(tmp_path: Path, ctx):
    path = tmp_path / "g.md"
    path.write_text(factories.MARKDOWN)
    doc = load(path, ctx)
    headings = [s.heading for s in doc.sections]
    assert "Garden Notes > Tomatoes > Pests" in headings
    pests = next(s for s in doc.sections if s.heading.endswith("Pests"))
    assert "soapy water" in pests.text
    assert not any("not a heading" in (h or "") for h in headings)


def test_image_file_is_one_image_item_with_ocr(tmp_path: Path, ctx):
    path = tmp_path / "shot.png"
    factories.text_image(["Meeting at 14:30 in room B12"]).save(path)
    doc = load(path, ctx)
    assert doc.sections == [] and len(doc.images) == 1
    assert "room b12" in _norm(doc.images[0].text)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("héllo wörld".encode(), "héllo wörld"),
        ("\ufeffbom text".encode(), "bom text"),
        ("utf16 text".encode("utf-16"), "utf16 text"),
        ("caf\xe9".encode("cp1252"), "café"),
        (b"line1\r\nline2", "line1\nline2"),
    ],
)
def test_decode_text_encodings(data: bytes, expected: str):
    assert decode_text(data) == expected


def test_animated_gif_uses_first_frame_and_webp_reads(tmp_path: Path, ctx):
    first = factories.text_image(["Gate B7 boards at noon"])
    second = factories.text_image(["completely different frame"])
    gif = tmp_path / "anim.gif"
    first.save(gif, save_all=True, append_images=[second], duration=200, loop=0)
    webp = tmp_path / "shot.webp"
    first.save(webp, quality=90)
    for path in (gif, webp):
        (item,) = load(path, ctx).images
        assert "gate b7 boards at noon" in _norm(item.text)
        assert item.image.mode == "RGB"
