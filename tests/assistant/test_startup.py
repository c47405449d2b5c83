"""Starting the app: the answering model starts loading before Vira's heavy imports."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

from assistant import Settings, startup

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("chromadb", "gradio", "langchain_core", "torch", "sentence_transformers", "rapidocr")


def test_what_app_py_imports_before_starting_is_light():
    # app.py's own imports, then the answering backend: none of the stacks that take seconds.
    code = (
        "import sys, app; from tools.answering.registry import create_vlm;"
        f"print(sorted(set({HEAVY!r}) & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_answering_model_starts_before_the_assistant_is_imported():
    # In a process of its own: whether the assistant's module (a second of imports) had
    # finished loading when the answering model was told to start.
    code = (
        "import sys, threading\n"
        "from assistant import Settings, startup\n"
        "seen = []\n"
        "class Backend:\n"
        "    def warm_up(self):\n"
        "        module = sys.modules.get('assistant.assistant')\n"
        "        seen.append(hasattr(module, 'Assistant'))\n"
        "startup.create_vlm = lambda settings: Backend()\n"
        "startup.start(Settings())\n"
        "print(seen[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


class Recording:
    """An answering backend that records which threads warmed it up (stands in for a
    llama-server process, which other tests start for real)."""

    def __init__(self, fails: bool = False) -> None:
        self.threads: list[str] = []
        self.fails = fails
        self.done = threading.Event()

    def warm_up(self) -> None:
        self.threads.append(threading.current_thread().name)
        self.done.set()
        if self.fails:
            raise RuntimeError("no model here")


def test_start_warms_up_the_answering_model_from_its_own_thread(monkeypatch):
    vlm = Recording()
    monkeypatch.setattr(startup, "create_vlm", lambda settings: vlm)
    assistant = startup.start(Settings())
    assert assistant.vlm is vlm
    assert vlm.done.wait(10)
    assert "vira-answering" in vlm.threads
    assistant._warm_up.join(60)  # the picture models, which it also loads


def test_an_answering_model_that_fails_to_start_leaves_the_app_up(monkeypatch, caplog):
    vlm = Recording(fails=True)
    monkeypatch.setattr(startup, "create_vlm", lambda settings: vlm)
    with caplog.at_level(logging.ERROR):
        assistant = startup.start(Settings())
        for thread in threading.enumerate():
            if thread.name == "vira-answering":
                thread.join(30)
    assert "starting the answering model failed" in caplog.text
    assert assistant.vlm is vlm and "vira-answering" in vlm.threads
    assistant._warm_up.join(60)
