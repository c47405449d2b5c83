"""The Chat tab: a multimodal conversation with its sources, tool trace and images."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Assistant, Session
from ui.render import source_cards, source_images, trace_entry
from ui.sessions import session_id, user_of

ChatUpdate = tuple[list[dict], str, list[dict], list, list]
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
# What a first visitor can try: each answerable offline by the packaged models.
EXAMPLES = [
    ("What is the total on this receipt?", "receipt.png"),
    ("What does the sign say?", "sign.png"),
    ("What is in this picture?", "coffee.jpg"),
]
OFFLINE = (
    "Everything here runs on this server with packaged models (image labels, text in images, "
    "your documents): no picture or document is sent to another service."
)


def _gallery(session: Session) -> list[tuple[str, str]]:
    return [(str(i.path), f"{i.image_id} · {i.name}") for i in session.images()]


def _paths(message: dict[str, Any] | None) -> tuple[str, list[str]]:
    message = message or {}
    files = message.get("files", [])
    return message.get("text", ""), [f if isinstance(f, str) else f.get("path") for f in files]


def chat_handler(assistant: Assistant):  # noqa: ANN201 - a Gradio event handler
    def chat(
        message: dict[str, Any],
        history: list[dict],
        request: gr.Request,
        profile: gr.OAuthProfile | None,
    ) -> Iterator[ChatUpdate]:
        user = user_of(assistant.access, request, profile)
        session = assistant.session(session_id(request), user)
        text, paths = _paths(message)
        history = list(history or [])
        history += [{"role": "user", "content": {"path": p}} for p in paths]
        if text:
            history.append({"role": "user", "content": text})
        history.append({"role": "assistant", "content": ""})
        trace: list[dict] = []
        cards, pictures, gallery = "", [], _gallery(session)
        waiting = False
        for event in session.ask(text, images=paths):
            if waiting and event.kind in ("token", "error"):  # the answer replaces the note
                history[-1]["content"], waiting = "", False
            if event.kind == "status":
                history[-1]["content"], waiting = f"⏳ {event.text}", True
                trace.append(trace_entry(event))
            elif event.kind == "token":
                history[-1]["content"] += event.text  # what streams is the stored answer
            elif event.kind == "error":
                history[-1]["content"] += f"\n\n⚠️ {event.text}"
            elif event.kind == "answer" and event.answer is not None:
                cards = source_cards(event.answer)
                pictures = source_images(event.answer)
            else:
                trace.append(trace_entry(event))
            if event.kind != "token":  # images change only with tool calls and answers
                gallery = _gallery(session)
            yield history, cards, trace, gallery, pictures

    return chat


def chat_tab(assistant: Assistant) -> None:
    """Lay out the Chat tab (inside a ``gr.Blocks``) and wire it to the assistant."""

    def clear(request: gr.Request) -> tuple[list, str, list, list, list, None]:
        assistant.session(session_id(request)).clear()
        return [], "", [], [], [], None

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
                gr.Examples(
                    [[{"text": q, "files": [str(EXAMPLES_DIR / f)]}] for q, f in EXAMPLES],
                    inputs=[box],
                    label="Try one",
                    elem_id="examples",
                )
                gr.Markdown(OFFLINE, elem_id="offline-note")
                cards = gr.Markdown(elem_id="sources")
                pictures = gr.Gallery(
                    label="Image sources", columns=4, height=160, elem_id="image-sources"
                )
                with gr.Accordion("Tool trace", open=False):
                    trace = gr.JSON(label="Tool calls")
            with gr.Column(scale=1):
                gallery = gr.Gallery(label="This conversation's images", columns=2)
                clear_btn = gr.Button("Clear conversation")
        outputs = [chatbot, cards, trace, gallery, pictures]
        sent = box.submit(chat_handler(assistant), [box, chatbot], outputs, api_name="chat")
        sent.then(lambda: None, None, box, api_name=False)
        box.stop(None, None, None, cancels=[sent], api_name=False)
        clear_btn.click(clear, None, [*outputs, box], api_name=False)
