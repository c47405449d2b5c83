"""The Gradio interface: a Chat tab and a Knowledge tab over one ``Assistant``.

Handlers only translate between components and the assistant's API; each browser session
(``request.session_hash``) is its own ``Session``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import gradio as gr
from starlette.middleware import Middleware

from assistant import Assistant
from assistant.access import User
from ui.chat_tab import chat_tab
from ui.knowledge_tab import knowledge_tab
from ui.private_files import PAGE_VIEWS, PrivateFiles
from ui.render import document_rows
from ui.sessions import browser_secret, user_of

WARMING_UP = (
    "⏳ **Warming up the models** (a minute on a first start). You can ask already: the "
    "answer comes once they are ready."
)
INTRO = (
    "Drop in photos, screenshots or scanned pages and ask about them; follow-ups keep the "
    "images in view (*the first one*, *image 2*, *both*). Answers cite your documents from "
    "the Knowledge tab."
)


# On a phone the columns stack: the chat comes first, shorter, so that its box shows without
# scrolling; the conversation list follows it.
CSS = """
.vira-page { display: block; width: 100% !important; max-width: 100% !important; }
.vira-page { border: 1px solid #ccc; }
/* an answer that shows a cited page takes the chat's width, so that the page is legible */
#chatbot .message-row:has(img.vira-page) { width: calc(100% - 60px); }
#chatbot .message-row:has(img.vira-page) .message { width: 100%; }
@media (max-width: 640px) {
  #chat-main { order: -1; }
  #chatbot { height: 50vh !important; max-height: 50vh; }
}
"""


def build_ui(assistant: Assistant) -> gr.Blocks:
    access = assistant.access
    # Gradio's cache holds every upload and every served copy; purge files older than a day
    # every hour so uploads do not outlive their use.
    with gr.Blocks(title="Vira", delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(f"# Vira\n{INTRO}")
        # Shown by the page's load event while the models load, hidden by the clock after.
        warming = gr.Markdown(WARMING_UP, elem_id="warming", visible=False)
        clock = gr.Timer(1.0, active=False)
        clock.tick(
            lambda: _warming(assistant), None, [warming, clock], api_name=False,
            show_progress="hidden",
        )  # fmt: skip
        with gr.Row():
            who = gr.Markdown(elem_id="who")
            if access.sign_in == "huggingface":
                gr.LoginButton(scale=0)  # says "Logout" once signed in
            elif access.sign_in == "password":
                gr.Button("Sign out", link="/logout", size="sm", scale=0, elem_id="sign-out")
        with gr.Tabs():  # one tab bar: without it each tab stacks under a bar of its own
            chat_tab(assistant, demo, browser_secret(assistant.settings.data_dir))
            tab = knowledge_tab(assistant)

        def page(request: gr.Request, profile: gr.OAuthProfile | None) -> list:
            user = user_of(access, request, profile)
            rows = document_rows(assistant.library.list(user))
            return [_who(user), *tab.shown_to(user, rows), *_warming(assistant)]

        outputs = [who, *tab.outputs, warming, clock]
        demo.load(page, None, outputs, api_name=False)
    return demo


def _warming(assistant: Assistant) -> list:
    """The warming-up note and its polling clock: both on until the models are ready."""
    busy = assistant.warming_up
    return [gr.update(visible=busy), gr.Timer(active=busy)]


def _who(user: User) -> str:
    if user.is_admin and not user.name:
        return ""  # one person on their own machine: nothing to say
    if user.is_admin:
        return f"Signed in as **{user.name}** (admin: you manage the shared knowledge base)."
    if user.name:
        return f"Signed in as **{user.name}**: the shared knowledge base is read-only for you."
    return "Not signed in: the shared knowledge base is read-only for visitors."


def launch(
    demo: gr.Blocks,
    host: str,
    port: int,
    max_upload_bytes: int,
    block: bool = True,
    auth: Callable[[str, str], bool] | None = None,
    concurrency: int = 4,
) -> None:
    """Serve the app; files in Gradio's cache go only to the client they were sent to.
    ``auth`` (name, password -> ok) turns on Gradio's own sign-in page. ``concurrency``
    events run at once (the answering engine's slots); later ones wait in Gradio's queue,
    which shows them their place."""
    guard = Middleware(PrivateFiles, cache_dir=demo.GRADIO_CACHE)
    demo.queue(default_concurrency_limit=concurrency).launch(
        css=CSS,
        server_name=host,
        server_port=port,
        allowed_paths=[os.path.join(demo.GRADIO_CACHE, PAGE_VIEWS)],  # the guard still applies
        max_file_size=max_upload_bytes,
        show_error=False,
        app_kwargs={"middleware": [guard]},
        prevent_thread_lock=not block,
        auth=auth,
    )
