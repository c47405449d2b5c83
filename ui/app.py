"""The Gradio interface: a Chat tab and a Knowledge tab over one ``Assistant``.

Handlers only translate between components and the assistant's API; each browser session
(``request.session_hash``) is its own ``Session``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from assistant import Assistant
from knowledge_base import KnowledgeBaseError
from ui.private_files import PrivateFiles
from ui.render import (
    document_rows,
    hit_cards,
    report_rows,
    source_cards,
    source_images,
    trace_entry,
)

INTRO = (
    "Drop in photos, screenshots or scanned pages and ask about them; follow-ups keep the "
    "images in view (*the first one*, *image 2*, *both*). Answers cite your documents from "
    "the Knowledge tab."
)


def _session_id(request: gr.Request | None) -> str:
    return (request.session_hash if request else None) or "anonymous"


def build_ui(assistant: Assistant) -> gr.Blocks:
    def chat(
        message: dict[str, Any], history: list[dict], request: gr.Request
    ) -> Iterator[tuple[list[dict], str, list[dict], list, list]]:
        session = assistant.session(_session_id(request))
        text, files = (message or {}).get("text", ""), (message or {}).get("files", [])
        paths = [f if isinstance(f, str) else f.get("path") for f in files]
        history = list(history or [])
        for path in paths:
            history.append({"role": "user", "content": {"path": path}})
        if text:
            history.append({"role": "user", "content": text})
        history.append({"role": "assistant", "content": ""})
        trace: list[dict] = []
        cards, pictures = "", []
        for event in session.ask(text, images=paths):
            if event.kind == "token":
                history[-1]["content"] += event.text
            elif event.kind in ("tool_call", "tool_result"):
                trace.append(trace_entry(event))
            elif event.kind == "error":
                history[-1]["content"] += f"\n\n⚠️ {event.text}"
            elif event.kind == "answer" and event.answer is not None:
                history[-1]["content"] = event.answer.text
                cards = source_cards(event.answer)
                pictures = source_images(event.answer)
            yield history, cards, trace, _gallery(session), pictures
        yield history, cards, trace, _gallery(session), pictures

    def _gallery(session: Any) -> list:
        return [(str(i.path), f"{i.image_id} · {i.name}") for i in session.images()]

    def clear(request: gr.Request) -> tuple[list, str, list, list, list, None]:
        assistant.session(_session_id(request)).clear()
        return [], "", [], [], [], None

    def ingest(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008 - Gradio's idiom
        if not files:
            return [], document_rows(assistant.knowledge.list())

        def report(event: Any) -> None:
            progress((event.file_index, event.file_count), desc=event.path.rsplit("/", 1)[-1])

        result = assistant.knowledge.ingest(files, progress=report)
        return report_rows(result.files), document_rows(assistant.knowledge.list())

    def kb_list() -> list[list]:
        return document_rows(assistant.knowledge.list())

    def kb_delete(doc_id: str) -> tuple[str, list[list]]:
        try:
            info = assistant.knowledge.delete(doc_id or "")
            message = f"Deleted {info.source} ({info.chunks} chunks)."
        except KnowledgeBaseError as exc:
            message = f"⚠️ {exc}"
        return message, document_rows(assistant.knowledge.list())

    def kb_search(query: str, k: float = 5) -> str:
        try:
            return hit_cards(assistant.knowledge.search(query or "", k=int(k)))
        except KnowledgeBaseError as exc:
            return f"⚠️ {exc}"

    # Gradio's cache holds every upload and every served copy; purge files older than a day
    # every hour so uploads do not outlive their use.
    with gr.Blocks(title="Vira", delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(f"# Vira\n{INTRO}")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Conversation", height=520)
                    box = gr.MultimodalTextbox(
                        file_types=["image"],
                        file_count="multiple",
                        placeholder="Ask about an image, or add images with the clip…",
                        show_label=False,
                        stop_btn=True,
                    )
                    cards = gr.Markdown(elem_id="sources")
                    pictures = gr.Gallery(
                        label="Image sources", columns=4, height=160, elem_id="image-sources"
                    )
                    with gr.Accordion("Tool trace", open=False):
                        trace = gr.JSON(label="Tool calls")
                with gr.Column(scale=1):
                    gallery = gr.Gallery(label="This conversation's images", columns=2)
                    clear_btn = gr.Button("Clear conversation")
            sent = box.submit(
                chat,
                [box, chatbot],
                [chatbot, cards, trace, gallery, pictures],
                api_name="chat",
            )
            sent.then(lambda: None, None, box, api_name=False)
            box.stop(None, None, None, cancels=[sent], api_name=False)
            clear_btn.click(
                clear, None, [chatbot, cards, trace, gallery, pictures, box], api_name=False
            )
        with gr.Tab("Knowledge"):
            with gr.Row():
                with gr.Column():
                    uploads = gr.File(
                        label="Add documents", file_count="multiple", elem_id="kb-upload"
                    )
                    add_btn = gr.Button("Add to knowledge base", variant="primary")
                    statuses = gr.Dataframe(
                        headers=["file", "status", "detail"],
                        label="Per-file status",
                        elem_id="kb-status",
                    )
                with gr.Column():
                    docs = gr.Dataframe(
                        headers=["id", "document", "chunks", "images", "pages"],
                        label="Documents",
                    )
                    with gr.Row():
                        doc_id = gr.Textbox(label="Document id to delete", scale=3)
                        delete_btn = gr.Button("Delete", variant="stop", scale=1)
                    deleted = gr.Markdown()
            with gr.Row():
                query = gr.Textbox(label="Search the knowledge base", scale=4)
                k = gr.Number(value=5, label="results", minimum=1, maximum=20, scale=1)
            results = gr.Markdown()
            add_btn.click(ingest, uploads, [statuses, docs], api_name="ingest")
            delete_btn.click(kb_delete, doc_id, [deleted, docs], api_name="kb_delete")
            query.submit(kb_search, [query, k], results, api_name="kb_search")
            refresh = gr.Button("Refresh list", size="sm")
            refresh.click(kb_list, None, docs, api_name="kb_list")
        demo.load(kb_list, None, docs, api_name=False)
    return demo


def launch(
    demo: gr.Blocks, host: str, port: int, max_upload_bytes: int, block: bool = True
) -> None:
    """Serve the app; files in Gradio's cache go only to the client they were sent to."""
    guard = Middleware(PrivateFiles, cache_dir=demo.GRADIO_CACHE)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host,
        server_port=port,
        allowed_paths=[],
        max_file_size=max_upload_bytes,
        show_error=False,
        app_kwargs={"middleware": [guard]},
        prevent_thread_lock=not block,
    )
