"""Document identity by content: idempotent ingestion, replacement by name, deletion."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

from knowledge_base import FileStatus, KnowledgeBaseError
from tests import factories


def _items(kb, doc_id: str) -> int:
    return kb.store.count_items(doc_id)


def test_same_file_twice_adds_nothing(kb, tmp_path: Path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nThe boiler pressure should stay near 1.5 bar.")
    first = kb.ingest([path]).files[0]
    second = kb.ingest([path]).files[0]
    assert first.status == FileStatus.ADDED and first.chunks == 1
    assert second.status == FileStatus.UNCHANGED and second.doc_id == first.doc_id
    assert kb.store.text.count() == 1 and len(kb.list()) == 1


def test_same_content_under_another_name_is_not_duplicated(kb, tmp_path: Path):
    (tmp_path / "a.txt").write_text("Identical content about lighthouses.")
    (tmp_path / "b.txt").write_text("Identical content about lighthouses.")
    kb.ingest([tmp_path / "a.txt"])
    (file,) = kb.ingest([tmp_path / "b.txt"]).files
    assert file.status == FileStatus.UNCHANGED and file.note == "same content as a.txt"
    assert [d.source for d in kb.list()] == ["a.txt"]


def test_changed_file_replaces_its_old_version(kb, tmp_path: Path):
    path = tmp_path / "policy.md"
    path.write_text("# Policy\n\nRefunds are accepted within 14 days.")
    old = kb.ingest([path]).files[0]
    path.write_text("# Policy\n\nRefunds are accepted within 30 days of delivery.")
    new = kb.ingest([path]).files[0]
    assert new.status == FileStatus.REPLACED and new.doc_id != old.doc_id
    assert [d.doc_id for d in kb.list()] == [new.doc_id]
    assert _items(kb, old.doc_id) == 0
    texts = [h.text for h in kb.search("how many days for refunds", k=5)]
    assert any("30 days" in t for t in texts) and not any("14 days" in t for t in texts)


def test_delete_removes_every_chunk_and_image_item(kb, tmp_path: Path):
    pdf = factories.pdf_with_figure(
        tmp_path / "report.pdf",
        "Quarterly report text. " * 200,
        ["Q3 revenue 88 million"],
        tmp_path,
    )
    keep = tmp_path / "keep.txt"
    keep.write_text("Another document that must survive the deletion.")
    report = kb.ingest([pdf, keep])
    doc = report.files[0]
    assert doc.chunks > 1 and doc.images == 1
    assert kb.search("revenue 88 million", k=3, kind="image")[0].doc_id == doc.doc_id
    image_dir = kb.settings.data_dir / "kb_images" / doc.doc_id
    assert image_dir.is_dir()
    info = kb.delete(doc.doc_id[:8])  # a unique prefix is enough
    assert info.doc_id == doc.doc_id
    assert _items(kb, doc.doc_id) == 0 and not image_dir.exists()
    assert [d.source for d in kb.list()] == ["keep.txt"]
    assert all(h.doc_id != doc.doc_id for h in kb.search("quarterly revenue", k=10))


def _two_texts_whose_ids_share(prefix_chars: int) -> tuple[str, str, str]:
    """Two notes whose content ids (SHA-256) start alike, and that common prefix."""
    seen: dict[str, str] = {}
    for n in itertools.count():
        text = f"Note {n}: the boiler was serviced."
        prefix = hashlib.sha256(text.encode()).hexdigest()[:prefix_chars]
        if prefix in seen:
            return seen[prefix], text, prefix
        seen[prefix] = text
    raise AssertionError("unreachable")


def test_delete_unknown_or_ambiguous_id_is_a_clear_error(kb, tmp_path: Path):
    with pytest.raises(KnowledgeBaseError, match="no document with id"):
        kb.delete("deadbeef")
    with pytest.raises(KnowledgeBaseError, match="at least 4 characters"):
        kb.delete("ab")
    first, second, prefix = _two_texts_whose_ids_share(4)
    (tmp_path / "a.txt").write_text(first)
    (tmp_path / "b.txt").write_text(second)
    kb.ingest([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert all(d.doc_id.startswith(prefix) for d in kb.list()) and len(kb.list()) == 2
    with pytest.raises(KnowledgeBaseError, match="ambiguous: 2 documents match"):
        kb.delete(prefix)
    assert len(kb.list()) == 2  # nothing was deleted
    whole = kb.list()[0].doc_id
    kb.delete(whole)  # the whole id is never ambiguous
    assert [d.doc_id for d in kb.list()] != [whole] and len(kb.list()) == 1


def test_persists_across_instances(make_kb, tmp_path: Path):
    path = tmp_path / "facts.txt"
    path.write_text("The observatory dome opens at dusk.")
    make_kb().ingest([path])
    again = make_kb()
    assert [d.source for d in again.list()] == ["facts.txt"]
    assert again.search("when does the dome open", k=1)[0].source == "facts.txt"


def test_other_instance_sees_changes_without_restart(make_kb, tmp_path: Path):
    reader, writer = make_kb(), make_kb()
    (tmp_path / "one.txt").write_text("Penguins live in the southern hemisphere.")
    writer.ingest([tmp_path / "one.txt"])
    assert reader.search("penguins", k=1)[0].source == "one.txt"
    (tmp_path / "two.txt").write_text("Polar bears live in the Arctic.")
    writer.ingest([tmp_path / "two.txt"])
    assert reader.search("polar bears arctic", k=1)[0].source == "two.txt"
    writer.delete(writer.list()[0].doc_id)
    assert all(h.source != "two.txt" for h in reader.search("polar bears arctic", k=5))
