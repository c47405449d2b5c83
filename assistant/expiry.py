"""Idle sessions and visitors' documents go while the app runs: a sweep that requests start at
most once per interval, in the background, so that no request waits for it and a Space that
stays up for weeks still keeps its ``VIRA_SESSION_TTL_HOURS`` promise."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Sweeper:
    """Calls ``sweep`` when ``due()`` is called and ``interval_s`` has passed since the last
    sweep began; one sweep at a time, in a daemon thread."""

    def __init__(self, sweep: Callable[[], object], interval_s: float) -> None:
        self._sweep = sweep
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._last = time.monotonic()  # the owner sweeps once as it starts
        self._running: threading.Thread | None = None

    def due(self) -> threading.Thread | None:
        """Start a sweep if one is due; returns its thread (None when none started)."""
        with self._lock:
            now = time.monotonic()
            busy = self._running is not None and self._running.is_alive()
            if busy or now - self._last < self.interval_s:
                return None
            self._last = now
            self._running = threading.Thread(target=self._run, name="vira-sweep", daemon=True)
            self._running.start()
            return self._running

    def _run(self) -> None:
        try:
            self._sweep()
        except Exception:  # a failed sweep is retried at the next interval, never fatal
            log.exception("expiring idle sessions failed")
