"""Calls that arrive together go through a model as one batch.

When several users upload at the same moment, each turn asks for its own images' labels; one
batch through the classifier costs little more than one image, and one after the other would
hold every later upload behind the earlier ones. While a batch runs, new arrivals queue and go
together as the next batch; nobody waits for a timer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """``coalescer(items)`` returns ``fn(items)``'s results for these items, computed in a
    batch with whatever other threads asked for meanwhile (at most ``max_batch`` at once)."""

    def __init__(self, fn: Callable[[list[T]], Sequence[R]], max_batch: int = 32) -> None:
        self.fn = fn
        self.max_batch = max_batch
        self.batches = 0  # how many times ``fn`` ran
        self._queue: list[tuple[T, Future]] = []
        self._running = False
        self._cond = threading.Condition()

    @property
    def queued(self) -> int:
        """Items waiting for the next batch."""
        with self._cond:
            return len(self._queue)

    def __call__(self, items: Sequence[T]) -> list[R]:
        mine = [(item, Future()) for item in items]
        with self._cond:
            self._queue.extend(mine)
            while not all(future.done() for _, future in mine):
                if self._running:  # someone else's batch: ours may be in the next one
                    self._cond.wait()
                    continue
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                self._running = True
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._running = False
                    self._cond.notify_all()
        return [future.result() for _, future in mine]

    def _run(self, batch: list[tuple[T, Future]]) -> None:
        self.batches += 1
        try:
            results = list(self.fn([item for item, _ in batch]))
        except BaseException as exc:  # every caller in the batch gets the error
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)
