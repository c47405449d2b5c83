"""Memory stays bounded: 200 turns in one session and 50 sessions with an image each, on the
offline default. The RSS at each step is reported; its growth must flatten."""

from __future__ import annotations

import ctypes
import gc
import sys

import psutil
import pytest
from PIL import Image
from skimage import data

from assistant import Assistant, Settings
from knowledge_base import KnowledgeBase
from tests.reliability.conftest import REPORT

pytestmark = pytest.mark.slow
MB = 2**20
QUESTIONS = [
    "Answer yes or no: is it an animal?",
    "In one word, what colour is it?",
    "Answer yes or no: is there text in it?",
    "In one word, what is it?",
]
PHOTOS = ["chelsea", "coffee", "rocket", "astronaut", "camera"]


def _rss() -> float:
    """Resident memory after Python's and glibc's own free lists are handed back, so that
    what is measured is what is kept, not allocator slack."""
    gc.collect()
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return psutil.Process().memory_info().rss / MB


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedding, ocr, image_embedding, composed_vlm):
    settings = Settings(data_dir=tmp_path_factory.mktemp("memory-data"))
    knowledge = KnowledgeBase(
        settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding
    )
    return Assistant(settings, knowledge=knowledge, vlm=composed_vlm)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    paths = []
    for name in PHOTOS:
        Image.fromarray(getattr(data, name)()).save(folder / f"{name}.png")
        paths.append(folder / f"{name}.png")
    return paths


def test_two_hundred_turns_in_one_session(assistant, photos):
    session = assistant.session("long-chat")
    session.ask_text("What is in this picture?", images=[photos[0]])
    for n in range(20):  # warm-up: caches and the prompt cache fill first
        session.ask_text(QUESTIONS[n % len(QUESTIONS)])
    rss = {0: _rss()}
    for turn in range(1, 201):
        assert session.ask_text(QUESTIONS[turn % len(QUESTIONS)]).text
        if turn % 50 == 0:
            rss[turn] = _rss()
    REPORT["RSS over 200 turns in one session"] = (
        ", ".join(f"turn {t}: {v:.0f} MB" for t, v in rss.items())
        + f" (growth {rss[200] - rss[0]:+.0f} MB)"
    )
    # Flat in the second half (the prompt cache is full by then): nothing accumulates per
    # turn. (The logits-copy leak this guards against added ~300 MB a turn.)
    assert rss[200] - rss[100] < 150, rss
    assert len(session.images()) == 1


def test_fifty_sessions(assistant, photos):
    for n in range(5):  # warm-up
        assistant.session(f"warm-{n}").ask_text("What is it?", images=[photos[n]])
    rss = {0: _rss()}
    for n in range(1, 51):
        session = assistant.session(f"user-{n}")
        assert session.ask_text("What is it?", images=[photos[n % len(photos)]]).text
        if n % 25 == 0:
            rss[n] = _rss()
    REPORT["RSS over 50 sessions"] = (
        ", ".join(f"after {n}: {v:.0f} MB" for n, v in rss.items())
        + f" (growth {rss[50] - rss[0]:+.0f} MB)"
    )
    assert rss[50] - rss[25] < 100, rss
