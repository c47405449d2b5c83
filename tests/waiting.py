"""Waiting for something to become true, within a bound, instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(condition: Callable[[], object], timeout_s: float, failure: str) -> None:
    """Poll ``condition`` until it holds; fail with ``failure`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.01)
