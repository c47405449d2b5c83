"""The Knowledge tab: add documents, see and delete them, search them."""

from __future__ import annotations

from typing import Any

import gradio as gr

from knowledge_base import KnowledgeBase, KnowledgeBaseError
from ui.render import DOCUMENT_HEADERS, document_rows, hit_cards, report_rows


def knowledge_tab(kb: KnowledgeBase) -> gr.Dataframe:
    """Lay out the Knowledge tab (inside a ``gr.Blocks``); returns the documents table, which
    the page refreshes when it loads."""

    def ingest(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008 - Gradio's idiom
        if not files:
            return [], document_rows(kb.list())

        def report(event: Any) -> None:
            progress((event.file_index, event.file_count), desc=event.path.rsplit("/", 1)[-1])

        result = kb.ingest(files, progress=report)
        return report_rows(result.files), document_rows(kb.list())

    def listed() -> list[list]:
        return document_rows(kb.list())

    def delete(doc_id: str) -> tuple[str, list[list]]:
        try:
            info = kb.delete(doc_id or "")
            message = f"Deleted {info.source} ({info.chunks} chunks)."
        except KnowledgeBaseError as exc:
            message = f"⚠️ {exc}"
        return message, document_rows(kb.list())

    def search(query: str, k: float = 5) -> str:
        try:
            return hit_cards(kb.search(query or "", k=int(k)))
        except KnowledgeBaseError as exc:
            return f"⚠️ {exc}"

    with gr.Tab("Knowledge"):
        with gr.Row():
            with gr.Column():
                uploads = gr.File(label="Add documents", file_count="multiple", elem_id="kb-upload")
                add_btn = gr.Button("Add to knowledge base", variant="primary")
                statuses = gr.Dataframe(
                    headers=["file", "status", "detail"],
                    label="Per-file status",
                    elem_id="kb-status",
                )
            with gr.Column():
                docs = gr.Dataframe(headers=DOCUMENT_HEADERS, label="Documents")
                with gr.Row():
                    doc_id = gr.Textbox(label="Document id to delete", scale=3)
                    delete_btn = gr.Button("Delete", variant="stop", scale=1)
                deleted = gr.Markdown()
        with gr.Row():
            query = gr.Textbox(label="Search the knowledge base", scale=4)
            k = gr.Number(value=5, label="results", minimum=1, maximum=20, scale=1)
        results = gr.Markdown()
        add_btn.click(ingest, uploads, [statuses, docs], api_name="ingest")
        delete_btn.click(delete, doc_id, [deleted, docs], api_name="kb_delete")
        query.submit(search, [query, k], results, api_name="kb_search")
        refresh = gr.Button("Refresh list", size="sm")
        refresh.click(listed, None, docs, api_name="kb_list")
    return docs
