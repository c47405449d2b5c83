"""Fair use: how much one user (or, not signed in, one browser session) may ask and upload
in a sliding window. Admins are not limited."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class LimitExceeded(Exception):
    """Over a fair-use limit; ``str()`` says which and when it frees up."""


class SlidingWindow:
    """At most ``budget`` units per ``window`` seconds for each key (budget 0: no limit)."""

    def __init__(
        self, budget: float, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.budget, self.window, self.clock = budget, window, clock
        self._spent: dict[str, deque[tuple[float, float]]] = defaultdict(deque)
        self._lock = threading.Lock()

    def take(self, key: str, amount: float, refusal: str) -> None:
        """Spend ``amount`` for ``key``, or raise ``LimitExceeded`` (``refusal`` formatted
        with ``wait``, the seconds until enough frees up) and spend nothing."""
        if not self.budget:
            return
        with self._lock:
            now = self.clock()
            spent = self._spent[key]
            while spent and spent[0][0] <= now - self.window:
                spent.popleft()
            used = sum(a for _, a in spent)
            if used + amount > self.budget:
                raise LimitExceeded(refusal.format(wait=self._wait(spent, amount, now)))
            spent.append((now, amount))

    def _wait(self, spent: deque[tuple[float, float]], amount: float, now: float) -> int:
        free = self.budget - sum(a for _, a in spent)
        for at, a in spent:  # oldest first: each expiry frees its amount
            free += a
            if free >= amount:
                return max(1, round(at + self.window - now))
        return round(self.window)  # more than the whole budget: never fits


class FairUse:
    """The limits of ``Settings``: questions per minute, upload megabytes per hour."""

    def __init__(
        self, questions_per_minute: int, upload_mb_per_hour: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.questions = SlidingWindow(questions_per_minute, 60, clock)
        self.uploads = SlidingWindow(upload_mb_per_hour * 1024 * 1024, 3600, clock)
        # Pictures read ahead of their question cost as much as questions: as many a minute.
        self.read_ahead = SlidingWindow(questions_per_minute, 60, clock)
        self.per_minute, self.mb_per_hour = questions_per_minute, upload_mb_per_hour

    def ask(self, key: str) -> None:
        self.questions.take(
            key, 1, f"You have reached this server's limit of {self.per_minute} questions a "
            "minute: please wait {wait} s.",
        )  # fmt: skip

    def may_read_ahead(self, key: str) -> bool:
        """Whether ``key`` may have pictures read before sending them (counted, never refused
        aloud: the question itself is still answered when sent)."""
        try:
            self.read_ahead.take(key, 1, "")
        except LimitExceeded:
            return False
        return True

    def upload(self, key: str, size: int) -> None:
        self.uploads.take(
            key, size, f"That upload would pass this server's limit of {self.mb_per_hour:g} MB "
            "an hour: please wait {wait} s or upload less.",
        )  # fmt: skip
