"""kill -9 in the middle of a real ingest: nothing partial is visible; the next run repairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base import FileStatus
from tests.ingest_child import ingest_in_child


def _big_document(path: Path) -> Path:
    lines = [
        f"Sample {i} of the zebrafish study showed marker QX{i} at {i % 37} units."
        for i in range(3000)
    ]
    path.write_text("\n".join(lines))
    return path


def _kill_after_first_batch(*paths: Path) -> None:
    def first_batch_stored(stage: str, done: int, total: int) -> bool:
        if stage == "stored":
            assert done < total, "the document must need several batches"
        return stage == "stored"

    assert ingest_in_child(list(paths), first_batch_stored), "the ingest finished first"


def _assert_partial_and_invisible(kb, source: str) -> str:
    records = kb.store.manifest.records()
    (record,) = [r for r in records.values() if r.source == source]
    assert record.status == "pending"
    stored = kb.store.count_items(record.doc_id)
    assert 0 < stored < record.chunks, "the kill must land mid-document"
    assert source not in {d.source for d in kb.list()}
    assert all(h.doc_id != record.doc_id for h in kb.search("zebrafish marker QX17", k=10))
    return record.doc_id


@pytest.mark.slow
def test_killed_ingest_is_invisible_then_finished_by_next_run(make_kb, tmp_path: Path):
    doc = _big_document(tmp_path / "study.txt")
    kb = make_kb()
    (tmp_path / "other.txt").write_text("Coral reefs bleach when the sea warms.")
    kb.ingest([tmp_path / "other.txt"])

    _kill_after_first_batch(doc)
    doc_id = _assert_partial_and_invisible(kb, "study.txt")

    report = kb.ingest([])  # any later run repairs first
    (resumed,) = report.files
    assert resumed.status == FileStatus.ADDED and resumed.doc_id == doc_id
    assert resumed.note == "finished an interrupted ingestion"
    (info,) = [d for d in kb.list() if d.source == "study.txt"]
    assert kb.store.count_items(doc_id) == info.chunks == resumed.chunks
    assert kb.search("zebrafish marker QX17", k=3)[0].doc_id == doc_id
    assert {d.source for d in kb.list()} == {"study.txt", "other.txt"}
    assert kb.ingest([doc]).files[0].status == FileStatus.UNCHANGED


@pytest.mark.slow
def test_killed_ingest_of_a_vanished_file_is_cleaned_up(make_kb, tmp_path: Path):
    doc = _big_document(tmp_path / "study.txt")
    _kill_after_first_batch(doc)
    kb = make_kb()
    doc_id = _assert_partial_and_invisible(kb, "study.txt")
    doc.unlink()
    assert kb.ingest([]).files == []
    assert kb.store.count_items(doc_id) == 0
    assert kb.store.manifest.records() == {}


@pytest.mark.slow
def test_killed_replacement_keeps_the_old_version_visible(make_kb, tmp_path: Path):
    doc = tmp_path / "study.txt"
    doc.write_text("The first edition of the zebrafish study: marker QX17 was absent.")
    kb = make_kb()
    old = kb.ingest([doc]).files[0]
    _big_document(doc)
    _kill_after_first_batch(doc)
    hits = kb.search("zebrafish marker QX17", k=10)
    assert {h.doc_id for h in hits} == {old.doc_id}
    assert [d.doc_id for d in kb.list()] == [old.doc_id]
    (resumed,) = kb.ingest([]).files
    assert resumed.status == FileStatus.REPLACED
    assert [d.doc_id for d in kb.list()] == [resumed.doc_id]
    assert kb.store.count_items(old.doc_id) == 0
