"""Memory stays bounded: 200 turns in one session and 50 sessions with an image each, on the
offline default. The RSS at each step is reported; its growth must flatten."""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable

import psutil
import pytest
from PIL import Image
from skimage import data

from assistant import Answer, Assistant, Settings
from tests.reliability.conftest import REPORT

# Hundreds of real generations: 8.5 min here, past 10 on a slower CI machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
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


def _measured(steps: int, every: int, step: Callable[[int], Answer]) -> dict[int, float]:
    """Run ``step`` for 1..steps, with the RSS before and after every ``every`` steps."""
    rss = {0: _rss()}
    for n in range(1, steps + 1):
        assert step(n).text
        if n % every == 0:
            rss[n] = _rss()
    return rss


def _report(name: str, rss: dict[int, float]) -> None:
    steps = ", ".join(f"{n}: {value:.0f}" for n, value in rss.items())
    REPORT[name] = f"{steps} (growth {rss[max(rss)] - rss[0]:+.0f} MB)"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, loaded_kb, served_vlm):
    settings = Settings(data_dir=tmp_path_factory.mktemp("memory-data"))
    return Assistant(settings, knowledge=loaded_kb(settings), vlm=served_vlm)


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
    rss = _measured(200, 50, lambda turn: session.ask_text(QUESTIONS[turn % len(QUESTIONS)]))
    _report("RSS over 200 turns in one session (MB after n turns)", rss)
    # Flat in the second half (the prompt cache is full by then): nothing accumulates per
    # turn. (The logits-copy leak this guards against added ~300 MB a turn.)
    assert rss[200] - rss[100] < 150, rss
    assert len(session.images()) == 1


def test_fifty_sessions(assistant, photos):
    for n in range(5):  # warm-up
        assistant.session(f"warm-{n}").ask_text("What is it?", images=[photos[n]])
    rss = _measured(
        50,
        25,
        lambda n: assistant.session(f"user-{n}").ask_text(
            "What is it?", images=[photos[n % len(photos)]]
        ),
    )
    _report("RSS over 50 sessions (MB after n sessions)", rss)
    assert rss[50] - rss[25] < 100, rss


def test_fifty_sessions_served_by_llama_server(tmp_path_factory, loaded_kb, served_vlm, photos):
    """The default serving path: the app's and the server's memory stay flat, and the saved
    conversations keep to their disk budget."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("served-memory"))
    assistant = Assistant(settings, knowledge=loaded_kb(settings), vlm=served_vlm)

    def both() -> float:
        return _rss() + psutil.Process(served_vlm.server.pid).memory_info().rss / MB

    def ask(n: int) -> Answer:
        # Several questions per picture: the sessions are the same, their slots change.
        return assistant.session(f"served-{n}").ask_text(
            QUESTIONS[n % len(QUESTIONS)], images=[photos[n % len(photos)]]
        )

    for n in range(5):
        ask(100 + n)  # warm-up; the server is up from here on
    rss = {0: both()}
    for n in range(1, 51):
        assert ask(n).text
        if n % 25 == 0:
            rss[n] = both()
    _report("app + llama-server RSS over 50 sessions (MB after n sessions)", rss)
    assert rss[50] - rss[25] < 100, rss
    files = sum(p.stat().st_size for p in served_vlm.pool.folder.glob("conv-*.bin"))
    assert files <= served_vlm.pool.max_bytes
