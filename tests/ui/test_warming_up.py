"""A freshly started app says it is warming up the models until they are ready (Chromium)."""

from __future__ import annotations

import threading

import pytest

from assistant import Assistant, Settings
from tests.browser import chromium
from tests.servers import running_app

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


def test_the_page_says_it_is_warming_up_until_the_models_are_ready(tmp_path, loaded_kb, served_vlm):
    settings = Settings(data_dir=tmp_path / "data")
    vlm = SlowToLoad(served_vlm)
    assistant = Assistant(settings, knowledge=loaded_kb(settings), vlm=vlm)
    assistant.warm_up()
    try:
        with running_app(assistant) as url, chromium() as browser:
            page = browser.new_page()
            page.goto(url)
            note = page.locator("#warming")
            note.wait_for(state="visible", timeout=30_000)
            assert "Warming up the models" in note.inner_text()
            vlm.release.set()
            note.wait_for(state="hidden", timeout=30_000)  # gone without a reload
            page.reload()
            page.get_by_placeholder("Ask about an image").wait_for(timeout=30_000)
            assert not page.locator("#warming").is_visible()
    finally:
        vlm.release.set()
