"""The Gradio interface: a Chat tab and a Knowledge tab over one ``Assistant``.

Handlers only translate between components and the assistant's API; each browser session
(``request.session_hash``) is its own ``Session``.
"""

from __future__ import annotations

import gradio as gr
from starlette.middleware import Middleware

from assistant import Assistant
from ui.chat_tab import chat_tab
from ui.knowledge_tab import knowledge_tab
from ui.private_files import PrivateFiles
from ui.render import document_rows

INTRO = (
    "Drop in photos, screenshots or scanned pages and ask about them; follow-ups keep the "
    "images in view (*the first one*, *image 2*, *both*). Answers cite your documents from "
    "the Knowledge tab."
)


def build_ui(assistant: Assistant) -> gr.Blocks:
    # Gradio's cache holds every upload and every served copy; purge files older than a day
    # every hour so uploads do not outlive their use.
    with gr.Blocks(title="Vira", delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(f"# Vira\n{INTRO}")
        chat_tab(assistant)
        docs = knowledge_tab(assistant.knowledge)
        demo.load(lambda: document_rows(assistant.knowledge.list()), None, docs, api_name=False)
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
