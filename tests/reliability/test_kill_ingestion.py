"""kill -9 of a real ingestion at random points, ten rounds in a row: no document is ever
partly visible, each later run finishes what was cut, re-ingesting is idempotent, and at the
end the knowledge base equals a clean ingest of the same files."""

from __future__ import annotations

import itertools
import os
import random
import time
from pathlib import Path

import pytest
from chromadb.api.client import SharedSystemClient

from knowledge_base import FileStatus, KnowledgeBase, KnowledgeSettings
from tests import factories
from tests.ingest_child import ingest_in_child

pytestmark = pytest.mark.slow
ROUNDS = 10


def _folder(tmp: Path) -> Path:
    docs = tmp / "docs"
    docs.mkdir()
    lines = [f"Sample {i} of the reef survey had marker RX{i} at {i % 41} m." for i in range(2500)]
    (docs / "survey.txt").write_text("\n".join(lines))
    factories.text_pdf(
        docs / "report.pdf", [f"Page {n}: the tide gauge read {n * 7} cm." for n in range(6)]
    )
    factories.docx_file(docs / "notes.docx", tmp)
    factories.text_image(["Dock 4 opens at 06:15"]).save(docs / "sign.png")
    (docs / "short.md").write_text("# Ferry\n\nThe harbour ferry leaves at 9:10.")
    return docs


def _survey(docs: Path, version: int) -> None:
    """A long document (many batches); each version replaces the previous one."""
    lines = [f"Sample {i} of the reef survey had marker RX{i} at {i % 41} m." for i in range(2400)]
    (docs / "survey.txt").write_text("\n".join([f"Survey version {version}.", *lines]))


def _ingest_until(docs: Path, events: int | None, delay: float) -> bool:
    """Run an ingestion in a child; SIGKILL it after ``events`` progress lines and ``delay``
    seconds more (None: let it finish). Returns whether it was killed."""
    seen = itertools.count(1)

    def enough(*_: object) -> bool:
        if next(seen) < (events or 0):
            return False
        time.sleep(delay)
        return True

    return ingest_in_child([docs], enough if events is not None else None)


def _open(data_dir: Path, loaded_kb) -> KnowledgeBase:
    SharedSystemClient.clear_system_cache()  # read what the killed process left on disk
    return loaded_kb(KnowledgeSettings(data_dir=data_dir))


def _assert_nothing_partial(kb: KnowledgeBase, context: str) -> set[str]:
    visible = {d.doc_id: d for d in kb.list()}
    for doc_id, info in visible.items():
        assert kb.store.count_items(doc_id) == info.chunks + info.images, (context, info)
    pending = {r.doc_id for r in kb.store.manifest.records().values() if r.status != "committed"}
    for query in ("reef survey marker RX17", "tide gauge", "harbour ferry", "Dock 4"):
        for hit in kb.search(query, k=10):
            assert hit.doc_id in visible and hit.doc_id not in pending, (context, hit)
    return set(visible)


def _state(kb: KnowledgeBase) -> set[tuple[str, int, int]]:
    return {(d.source, d.chunks, d.images) for d in kb.list()}


def test_ten_random_kills_lose_nothing(tmp_path, monkeypatch, loaded_kb):
    docs = _folder(tmp_path)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("VIRA_DATA_DIR", str(data_dir))
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    kills, ever_visible = 0, set()
    for round_ in range(ROUNDS):
        # A new version each round: every run has work (a killed replacement must keep the
        # old version visible). Such a run reports about 12 progress events.
        _survey(docs, round_)
        events, delay = rng.randint(1, 11), rng.uniform(0, 1.0)
        kills += _ingest_until(docs, events, delay)
        kb = _open(data_dir, loaded_kb)
        context = f"seed {seed}, round {round_}, kill after {events} events + {delay:.2f} s"
        _assert_nothing_partial(kb, context)
        sources = {d.source for d in kb.list()}
        assert ever_visible <= sources, (context, ever_visible - sources)  # nothing lost
        ever_visible |= sources
    assert kills >= ROUNDS // 2, f"seed {seed}: only {kills} rounds were cut before the end"

    assert not _ingest_until(docs, None, 0)  # a run left alone finishes everything
    kb = _open(data_dir, loaded_kb)
    _assert_nothing_partial(kb, f"seed {seed}, final")
    again = kb.ingest([docs])
    assert {f.status for f in again.files} == {FileStatus.UNCHANGED}, again.files

    clean_dir = tmp_path / "clean"
    clean = _open(clean_dir, loaded_kb)
    clean.ingest([docs])
    assert _state(_open(data_dir, loaded_kb)) == _state(clean)
    assert len(_state(clean)) == 5
