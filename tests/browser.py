"""Debian's headless Chromium driven by Playwright, as every browser test starts it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextlib.contextmanager
def chromium() -> Iterator:
    """A Playwright ``Browser`` on Debian's Chromium (Playwright never downloads one here)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "scripts/setup.sh --dev installs Debian's chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def tab(page, name: str):
    """The page's tab called ``name``: Gradio also keeps a hidden copy of each tab button for
    its overflow menu, which the visible one is told apart from."""
    return page.locator("button[role=tab]:visible", has_text=name).first
