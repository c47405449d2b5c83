"""Helpers shared by the reliability suite."""

from __future__ import annotations

from typing import Any


def kb_state(kb: Any) -> tuple:
    """Everything a failed ingest must leave as it was: documents, items, manifest."""
    documents = tuple(sorted((d.doc_id, d.source, d.chunks) for d in kb.list()))
    return (
        documents,
        kb.store.text.count(),
        kb.store.images.count(),
        len(kb.store.manifest.records()),
    )


#: Figures the suite measures (latency, memory), printed at the end of the run.
REPORT: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter) -> None:
    if REPORT:
        terminalreporter.section("reliability figures")
        for name, value in REPORT.items():
            terminalreporter.write_line(f"{name}: {value}")
