"""Helpers shared by the reliability suite."""

from __future__ import annotations

from typing import Any


def chat_text(message: dict[str, Any]) -> str:
    """A Chatbot message's text (Gradio 6 sends content as a list of typed parts)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def kb_state(assistant: Any) -> tuple:
    """Everything a failed ingest must leave as it was: documents, items, manifest."""
    kb = assistant.knowledge
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
