"""A freshly started app says it is warming up the models until they are ready (Chromium)."""

from __future__ import annotations

import threading

import pytest

from assistant import Assistant, Settings
from knowledge_base import KnowledgeBase
from tests.servers import free_port
from tests.ui.test_browser import CHROMIUM, FLAGS
from ui import build_ui, launch

pytestmark = pytest.mark.slow


class SlowToLoad:
    """The real answering backend, whose loading the test holds until it says so (a model
    loading on a slow disk)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.release = threading.Event()

    def warm_up(self) -> None:
        self.release.wait(120)
        self.inner.warm_up()

    def __getattr__(self, name: str) -> object:  # everything else is the real backend
        return getattr(self.inner, name)


def test_the_page_says_it_is_warming_up_until_the_models_are_ready(
    tmp_path, embedding, ocr, image_embedding, composed_vlm
):
    from playwright.sync_api import sync_playwright

    settings = Settings(data_dir=tmp_path / "data")
    knowledge = KnowledgeBase(
        settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding
    )
    vlm = SlowToLoad(composed_vlm)
    assistant = Assistant(settings, knowledge=knowledge, vlm=vlm)
    assistant.warm_up()
    demo = build_ui(assistant)
    port = free_port()
    launch(demo, "127.0.0.1", port, settings.max_upload_bytes, block=False)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            note = page.locator("#warming")
            note.wait_for(state="visible", timeout=30_000)
            assert "Warming up the models" in note.inner_text()
            vlm.release.set()
            note.wait_for(state="hidden", timeout=30_000)  # gone without a reload
            page.reload()
            page.get_by_placeholder("Ask about an image").wait_for(timeout=30_000)
            assert not page.locator("#warming").is_visible()
            browser.close()
    finally:
        vlm.release.set()
        demo.close()
