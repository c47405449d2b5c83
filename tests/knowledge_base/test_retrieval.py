"""Hybrid retrieval beats each retriever alone; hits carry their sources."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from knowledge_base import KnowledgeBaseError
from knowledge_base.retrieval import reciprocal_rank_fusion
from tests import factories

PARTS = ["pressure valve", "flow sensor", "drive belt", "control board", "intake filter"]
PETS = [
    "Dogs need a daily walk in the park.",
    "Goldfish need clean water and a filter.",
    "Parrots can learn to mimic words.",
    "Rabbits chew on hay all day.",
    "Hamsters run on wheels at night.",
]


@pytest.fixture
def catalogue(kb, tmp_path: Path):
    """Forty near-identical part sheets that differ mostly in their codes, plus pet notes."""
    folder = tmp_path / "catalogue"
    folder.mkdir()
    rng = random.Random(1)
    for i in range(40):
        code = f"KX-{rng.randint(1000, 9999)}-{rng.choice('ABCDEFGH')}"
        (folder / f"part{i:02}.txt").write_text(
            f"Replacement part {code}: the {PARTS[i % 5]} for model line {i % 5}. "
            f"Order it from the service desk; delivery takes {i % 7 + 2} days."
        )
    (folder / "target.txt").write_text(
        "Replacement part KX-7313-Q: the pressure valve for model line 2. "
        "Order it from the service desk; delivery takes 4 days."
    )
    (folder / "cat.txt").write_text("The feline dozed on the sunny windowsill all afternoon.")
    for i, text in enumerate(PETS):
        (folder / f"pet{i}.txt").write_text(text)
    assert kb.ingest([folder]).ok
    return kb


def _sources(kb, query: str, mode: str, k: int = 5) -> list[str]:
    return [h.source for h in kb.search(query, k=k, mode=mode)]


def test_exact_code_found_by_hybrid_but_not_by_vectors_alone(catalogue):
    query = "KX-7313-Q"
    assert _sources(catalogue, query, "vector")[0] != "target.txt"
    assert _sources(catalogue, query, "lexical")[0] == "target.txt"
    assert _sources(catalogue, query, "hybrid")[0] == "target.txt"


def test_paraphrase_found_by_hybrid_but_not_by_bm25_alone(catalogue):
    query = "cat napping by the window"
    assert "cat.txt" not in _sources(catalogue, query, "lexical")
    assert _sources(catalogue, query, "vector")[0] == "cat.txt"
    assert _sources(catalogue, query, "hybrid")[0] == "cat.txt"


def test_words_in_the_asked_order_rank_above_the_same_words_apart(kb, tmp_path: Path):
    """Passages with the same words, bound differently: the one that says "large red circle"
    and "small blue square" as asked comes first, not one with a small red circle."""
    folder = tmp_path / "shelves"
    folder.mkdir()
    pairs = [
        ("small red circle", "large blue square"),
        ("large blue circle", "small red square"),
        ("large red square", "small blue circle"),
        ("small blue circle", "large red square"),
        ("large red circle", "small blue square"),
        ("small red square", "large blue circle"),
    ]
    for i, (first, second) in enumerate(pairs):
        (folder / f"shelf{i}.txt").write_text(f"On the shelf: a {first} and a {second}.")
    assert kb.ingest([folder]).ok
    for mode in ("lexical", "hybrid"):
        assert _sources(kb, "a large red circle and a small blue square", mode)[0] == "shelf4.txt"


def test_hits_carry_source_page_chunk_and_scores(kb, tmp_path: Path):
    pdf = factories.text_pdf(
        tmp_path / "manual.pdf",
        ["Unpacking: remove the foam blocks.", "Calibration: hold SET for 5 seconds."],
    )
    kb.ingest([pdf])
    (hit, *_) = kb.search("how do I calibrate", k=2)
    assert (hit.source, hit.page, hit.kind, hit.chunk_index) == ("manual.pdf", 2, "text", 1)
    assert hit.doc_id == kb.list()[0].doc_id
    assert hit.score > 0 and 0 < hit.similarity <= 1
    assert hit.citation() == "manual.pdf, p. 2"


def test_heading_path_is_kept_and_searchable(kb, tmp_path: Path):
    (tmp_path / "garden.md").write_text(factories.MARKDOWN)
    kb.ingest([tmp_path / "garden.md"])
    hit = kb.search("pests", k=1)[0]
    assert hit.heading == "Garden Notes > Tomatoes > Pests"
    assert "soapy water" in hit.text


def test_kind_filter_separates_text_and_image_items(kb, tmp_path: Path):
    shot = tmp_path / "whiteboard.png"
    factories.text_image(["Sprint goal: ship the export button"]).save(shot)
    (tmp_path / "notes.txt").write_text("The export button ships next sprint, said the team.")
    kb.ingest([shot, tmp_path / "notes.txt"])
    images = kb.search("export button sprint", k=5, kind="image")
    texts = kb.search("export button sprint", k=5, kind="text")
    assert [h.source for h in images] == ["whiteboard.png"]
    assert images[0].image_path and Path(images[0].image_path).is_file()
    assert [h.source for h in texts] == ["notes.txt"]
    assert {h.kind for h in kb.search("export button sprint", k=5)} == {"text", "image"}


def test_empty_store_and_bad_queries(kb):
    assert kb.search("anything") == []
    with pytest.raises(KnowledgeBaseError, match="empty"):
        kb.search("   \n ")
    with pytest.raises(KnowledgeBaseError, match="kind"):
        kb.search("x", kind="video")


def test_enormous_query_is_handled(kb, tmp_path: Path):
    (tmp_path / "a.txt").write_text("Volcanoes erupt when magma pressure builds up.")
    kb.ingest([tmp_path / "a.txt"])
    hits = kb.search("why do volcanoes erupt " * 20_000, k=3)
    assert hits[0].source == "a.txt"


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "a"], ["b"]]))
    assert max(fused, key=fused.get) == "b"
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 63)
