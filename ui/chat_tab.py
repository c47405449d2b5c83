"""The Chat tab: a multimodal conversation whose answers carry their own sources, the list of
this browser's (or signed-in user's) conversations, the tool trace and the images."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Assistant, Session
from assistant.memory import UNTITLED, Conversation
from ui.render import (
    PageViews,
    answer_content,
    conversation_labels,
    source_cards,
    source_images,
    trace_entry,
    transcript_messages,
)
from ui.sessions import browser_token, new_conversation_id, owner_of, session_id, user_of

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
# Runs in the browser before the delete: a cancelled confirmation deletes nothing.
CONFIRM_DELETE = """(ok, state) => [window.confirm(
    'Delete this conversation with its pictures? This cannot be undone.'), state]"""
EXPORTS = Path(tempfile.gettempdir()) / "vira-exports"
EXPORT_KEPT_S = 3600  # Gradio copies a returned file into its cache at once


def _gallery(session: Session) -> list[tuple[str, str]]:
    return [(str(i.path), f"{i.image_id} · {i.name}") for i in session.images()]


def _paths(message: dict[str, Any] | None) -> tuple[str, list[str]]:
    message = message or {}
    files = message.get("files", [])
    return message.get("text", ""), [f if isinstance(f, str) else f.get("path") for f in files]


def _unkept(history: list[dict], first: int, paths: list[str], session: Session) -> None:
    """A refused message's pictures were not kept: their bubbles name them instead of showing a
    broken picture."""
    kept = {image.name for image in session.images()}
    for n, path in enumerate(paths):
        name = Path(path).name
        if name not in kept:
            history[first + n]["content"] = f"📎 {name} (not kept)"


def chat_handler(assistant: Assistant, cache_dir: str):  # noqa: ANN201 - a Gradio event handler
    def chat(
        message: dict[str, Any],
        history: list[dict],
        current: dict | None,
        request: gr.Request,
        profile: gr.OAuthProfile | None,
    ) -> Iterator[ChatUpdate]:
        user = user_of(assistant.access, request, profile)
        # The page's conversation; an API client without one is its own (session_hash).
        session = assistant.session((current or {}).get("id") or session_id(request), user)
        text, paths = _paths(message)
        history = list(history or [])
        first = len(history)
        history += [{"role": "user", "content": {"path": p}} for p in paths]
        if text:
            history.append({"role": "user", "content": text})
        history.append({"role": "assistant", "content": ""})
        trace: list[dict] = []
        cards, pictures, gallery = "", [], _gallery(session)
        if current and not session.claim(current["owner"]):
            history[-1]["content"] = "⚠️ This conversation is not yours: start a new one."
            yield history, cards, trace, gallery, pictures
            return
        waiting = False
        detailed = (current or {}).get("detailed")  # the page's box; API clients: the setting
        for event in session.ask(text, images=paths, detailed=detailed):
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
                views = PageViews(session.source_view, cache_dir)
                history[-1]["content"] = answer_content(event.answer, views)  # its own sources
                cards = source_cards(event.answer)
                pictures = source_images(event.answer)
            else:
                trace.append(trace_entry(event))
            if event.kind != "token":  # images change only with tool calls and answers
                gallery = _gallery(session)
            if event.kind == "error":
                _unkept(history, first, paths, session)
            yield history, cards, trace, gallery, pictures

    return chat


def _hand_over(message: dict[str, Any] | None) -> tuple[dict, dict[str, Any] | None]:
    """Empty the box, hold its question for the answering step and offer Stop instead of
    Submit while the answer streams."""
    return gr.update(value=None, submit_btn=False, stop_btn=True), message


def _ready() -> dict:
    """The box takes the next question again (what was typed meanwhile stays)."""
    return gr.update(submit_btn=True, stop_btn=False)


def _choices(found: list[Conversation], chosen: str) -> dict:
    ids = [c.id for c in found]
    return gr.update(
        choices=list(zip(conversation_labels(found), ids, strict=True)),
        value=chosen if chosen in ids else None,
    )


def _export_path(title: str) -> Path:
    """A fresh file named after the conversation; exports older than an hour are removed."""
    EXPORTS.mkdir(exist_ok=True)
    for old in EXPORTS.glob("*/*.md"):
        if time.time() - old.stat().st_mtime > EXPORT_KEPT_S:
            shutil.rmtree(old.parent, ignore_errors=True)
    name = re.sub(r"[^\w-]+", "-", title).strip("-")[:60] or "conversation"
    return Path(tempfile.mkdtemp(dir=EXPORTS)) / f"{name}.md"


def chat_tab(assistant: Assistant, demo: gr.Blocks, secret: str) -> None:
    """Lay out the Chat tab (inside ``demo``) and wire it to the assistant. ``secret``
    encrypts the browser's token in its localStorage."""
    access = assistant.access

    with gr.Tab("Chat", id="chat"):
        browser = gr.BrowserState(None, storage_key="vira-browser", secret=secret)
        current = gr.State(None)  # {"id": conversation, "owner": whose}: kept on the server
        # The question being answered. Made inside the tab, as every component of it: one made
        # beside the tabs makes Gradio draw the next tab's button twice.
        held = gr.State(None)
        attached = gr.State([])  # the box's pictures last read ahead (typing changes it too)
        with gr.Row():
            with gr.Column(scale=1, min_width=200):
                new_btn = gr.Button("+ New conversation", elem_id="new-chat")
                chats = gr.Radio(label="Conversations", choices=[], elem_id="chats")
                title = gr.Textbox(label="Name", placeholder=UNTITLED, elem_id="chat-title")
                with gr.Row():
                    rename_btn = gr.Button("Rename", size="sm", elem_id="rename-chat")
                    delete_btn = gr.Button(
                        "Delete", size="sm", variant="stop", elem_id="delete-chat"
                    )
                confirmed = gr.Checkbox(visible=False)
                export_btn = gr.Button("Export as Markdown", size="sm", elem_id="export-chat")
                exported = gr.File(label="Markdown", visible=False, elem_id="exported")
            with gr.Column(scale=3, elem_id="chat-main"):
                chatbot = gr.Chatbot(label="Conversation", height=640, elem_id="chatbot")
                box = gr.MultimodalTextbox(
                    file_types=["image"],
                    file_count="multiple",
                    placeholder="Ask about an image, or add images with the clip…",
                    show_label=False,
                    stop_btn=False,  # shown while an answer streams: see _hand_over
                )
                gr.Examples(
                    [[{"text": q, "files": [str(EXAMPLES_DIR / f)]}] for q, f in EXAMPLES],
                    inputs=[box],
                    label="Try one",
                    elem_id="examples",
                )
                detail = gr.Checkbox(
                    assistant.settings.answer_length == "detailed",
                    label="Detailed answers (a paragraph instead of one or two sentences)",
                    elem_id="detailed",
                )
                gr.Markdown(OFFLINE, elem_id="offline-note")
                # Each answer shows its sources in the conversation; these two stay for API
                # clients of /chat (the latest answer's sources), hidden on the page.
                cards = gr.Markdown(elem_id="sources", visible=False)
                api_chat = gr.Button(visible=False)
                pictures = gr.Gallery(label="Image sources", visible=False)
                with gr.Accordion("Tool trace", open=False):
                    trace = gr.JSON(label="Tool calls")
            with gr.Column(scale=1):
                gallery = gr.Gallery(label="This conversation's images", columns=2)

    def opened(session: Session, found: list[Conversation]) -> list:
        """What the page shows of a conversation: its messages, images and name."""
        named = next((c.title for c in found if c.id == session.id), "")
        return [
            transcript_messages(
                session.transcript(), PageViews(session.source_view, demo.GRADIO_CACHE)
            ),
            _gallery(session),
            named,
            [],
            gr.update(visible=False),
        ]

    view = [chatbot, gallery, title, trace, exported]

    def of(conversation: str, request: gr.Request, profile: gr.OAuthProfile | None) -> Session:
        return assistant.session(conversation, user_of(access, request, profile))

    default_detail = assistant.settings.answer_length == "detailed"

    def restore(stored: Any, request: gr.Request, profile: gr.OAuthProfile | None) -> list:
        token = browser_token(stored)
        user = user_of(access, request, profile)
        owner = owner_of(user, token)
        found = assistant.conversations(owner)
        chosen = found[0].id if found else new_conversation_id()
        session = assistant.session(chosen, user)
        state = {"id": chosen, "owner": owner, "detailed": default_detail}
        return [token, state, _choices(found, chosen), *opened(session, found), default_detail]

    def switch(
        chosen: str, state: dict, request: gr.Request, profile: gr.OAuthProfile | None
    ) -> list:
        found = assistant.conversations(state["owner"])
        if chosen not in {c.id for c in found}:  # not one of theirs: stay where they are
            chosen = state["id"]
        return [{**state, "id": chosen}, *opened(of(chosen, request, profile), found)]

    def start(state: dict) -> list:
        found = assistant.conversations(state["owner"])
        return [
            {**state, "id": new_conversation_id()},
            _choices(found, ""),
            [],
            [],
            "",
            [],
            gr.update(visible=False),
        ]

    def listed(state: dict | None) -> dict:
        if not state:
            return gr.skip()
        return _choices(assistant.conversations(state["owner"]), state["id"])

    def rename(
        name: str, state: dict, request: gr.Request, profile: gr.OAuthProfile | None
    ) -> dict:
        session = of(state["id"], request, profile)
        if session.claim(state["owner"]) and session.transcript():
            session.rename(name)
        return listed(state)

    def delete(ok: bool, state: dict, request: gr.Request, profile: gr.OAuthProfile | None) -> list:
        session = of(state["id"], request, profile)
        found = assistant.conversations(state["owner"])
        if not ok:  # the confirmation was dismissed: everything stays as it is
            return [state, _choices(found, state["id"]), *opened(session, found)]
        if session.claim(state["owner"]):
            session.delete()
        found = assistant.conversations(state["owner"])
        if not found:
            return start(state)
        latest = of(found[0].id, request, profile)
        return [{**state, "id": latest.id}, _choices(found, latest.id), *opened(latest, found)]

    def export(state: dict, request: gr.Request, profile: gr.OAuthProfile | None) -> dict:
        session = of(state["id"], request, profile)
        found = {c.id: c.title for c in assistant.conversations(state["owner"])}
        if state["id"] not in found:
            return gr.update(value=None, visible=False)
        title = found[state["id"]]
        path = _export_path(title)
        path.write_text(session.markdown(title), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def read_ahead(
        message: dict[str, Any] | None,
        state: dict | None,
        done: list[str],
        request: gr.Request,
        profile: gr.OAuthProfile | None,
    ) -> list[str]:
        """Pictures attached to the box are read while the question is typed."""
        _, paths = _paths(message)
        if paths and paths != done and state:
            session = of(state["id"], request, profile)
            if session.claim(state["owner"]):
                session.prepare(paths)
        return paths

    def detailed(on: bool, state: dict | None) -> dict | None:
        return {**state, "detailed": on} if state else state

    demo.load(restore, [browser], [browser, current, chats, *view, detail], api_name=False)
    detail.change(detailed, [detail, current], [current], api_name=False)
    box.change(read_ahead, [box, current, attached], [attached], queue=False, api_name=False)
    outputs = [chatbot, cards, trace, gallery, pictures]
    chat = chat_handler(assistant, demo.GRADIO_CACHE)
    # The box empties as the question goes (it shows in the chat at once), so what the user
    # types while the answer streams is theirs to keep; API clients call /chat directly.
    sent = box.submit(_hand_over, [box], [box, held], queue=False, api_name=False).then(
        chat, [held, chatbot, current], outputs, api_name=False
    )
    sent.then(_ready, None, box, queue=False, api_name=False)
    sent.then(listed, [current], [chats], api_name=False)
    api_chat.click(chat, [box, chatbot, current], outputs, api_name="chat")
    box.stop(_ready, None, box, cancels=[sent], queue=False, api_name=False)
    chats.input(switch, [chats, current], [current, *view], api_name=False)
    new_btn.click(start, [current], [current, chats, *view], api_name=False)
    rename_btn.click(rename, [title, current], [chats], api_name=False)
    title.submit(rename, [title, current], [chats], api_name=False)
    delete_btn.click(
        delete, [confirmed, current], [current, chats, *view], js=CONFIRM_DELETE, api_name=False
    )
    export_btn.click(export, [current], [exported], api_name=False)
    # The chat's own trash icon deletes the conversation, after the same confirmation: an
    # emptied view whose conversation came back on reload was a lie.
    chatbot.clear(
        delete, [confirmed, current], [current, chats, *view], js=CONFIRM_DELETE, api_name=False
    )
