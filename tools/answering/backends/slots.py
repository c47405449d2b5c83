"""Which conversation each llama-server slot holds, so that a follow-up finds its own prefix.

llama-server's own choice of slot (by prompt similarity) and its RAM prompt cache (a restored
entry leaves the cache) both lose a conversation as soon as another one that shares its
system prompt and first image facts takes it over; with many users that is every time. So the
app chooses the slot: a free slot that already holds the conversation, else the least recently
used one, whose conversation is first saved to a file (``/slots/N?action=save``); a conversation
that continues gets its file restored into the slot (``action=restore``, a copy of its KV
state, milliseconds) and the server then only reads the new turn.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tools.answering.prompt import AnswerRequest, facts_prefix, user_message

#: Disk given to saved conversations (a short chat's state is ~8 MB; the oldest go first).
MAX_BYTES = 2 * 2**30


def conversation_key(request: AnswerRequest, rules_again: bool = False) -> str:
    """Names a conversation by its first user message as the model got it: every turn of it
    starts with that message, and two chats that share it share that prefix too."""
    first = next((t for t in request.history if t.role == "user"), None)
    text = (first.prompt or first.text) if first else user_message(request, rules_again)
    return "conv-" + hashlib.sha256(text.encode()).hexdigest()[:24]


#: Names a slot that holds only a chat's start (read before its question came).
PREFIX = "pre-"


def prefix_key(request: AnswerRequest) -> str:
    """Names the chat's start that ``prefix_messages`` reads ahead: a chat's first turn is
    named by its pictures' facts (its question is not known yet), a later turn by its chat."""
    if any(t.role == "user" for t in request.history):
        return conversation_key(request)
    text = facts_prefix(request) or ""
    return PREFIX + hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class Lease:
    slot: int
    key: str
    #: Save this conversation (the slot's previous one) before the slot is reused.
    save: str | None
    #: Restore this conversation's file into the slot before answering.
    restore: str | None


class SlotPool:
    def __init__(self, slots: int, folder: Path, max_bytes: int = MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._holds: list[str | None] = [None] * slots
        self._unsaved: set[str] = set()  # conversations in a slot whose newest turn has no file
        self._busy = [False] * slots
        self._leased: list[str | None] = [None] * slots  # the conversation of each busy slot
        self._ahead = [False] * slots  # busy reading a chat's start ahead of its question
        self._used = [0.0] * slots
        self._waiting = 0
        self._cond = threading.Condition()

    @property
    def busy(self) -> int:
        return sum(self._busy)

    @property
    def waiting(self) -> int:
        return self._waiting

    def acquire(self, key: str, prefix: str | None = None, ahead: bool = False) -> Lease:
        """A free slot for conversation ``key`` (waits for one when all are busy): one that
        holds it, else one that holds its ``prefix``, else the least used. ``ahead``: the
        lease reads a chat's start before its question comes; a question whose start is still
        being read waits for it, since reading it again elsewhere takes longer."""
        with self._cond:
            self._waiting += 1
            try:
                while all(self._busy) or self._read_ahead_now({key, prefix}):
                    self._cond.wait()
            finally:
                self._waiting -= 1
            return self._take(key, prefix, ahead)

    def acquire_if_idle(self, key: str, prefix: str | None = None) -> Lease | None:
        """A read-ahead lease for ``key`` when no slot is in use and nobody waits for one, else
        None: background work that may help a later question must not slow anyone's now."""
        with self._cond:
            if any(self._busy) or self._waiting:
                return None
            return self._take(key, prefix, ahead=True)

    def _take(self, key: str, prefix: str | None, ahead: bool) -> Lease:
        """Lease a free slot (the caller holds the lock)."""
        slot = self._choose(key, prefix)
        self._busy[slot] = True
        self._leased[slot] = key
        self._ahead[slot] = ahead
        held = self._holds[slot]
        if held == key or (held is not None and held == prefix):
            return Lease(slot, key, None, None)
        save = held if held in self._unsaved else None
        self._unsaved.discard(held)
        self._holds[slot] = None  # until the lease ends: its contents are in flux
        restore = key if self.file(key).exists() else None
        return Lease(slot, key, save, restore)

    def _read_ahead_now(self, keys: set[str | None]) -> bool:
        return any(a and self._leased[n] in keys for n, a in enumerate(self._ahead))

    def _choose(self, key: str, prefix: str | None) -> int:
        free = [n for n, busy in enumerate(self._busy) if not busy]
        for wanted in (key, prefix):
            own = [n for n in free if wanted is not None and self._holds[n] == wanted]
            if own:
                return own[0]
        empty = [n for n in free if self._holds[n] is None]
        return empty[0] if empty else min(free, key=lambda n: self._used[n])

    def release(self, lease: Lease, holds: bool = True) -> None:
        """The answer is done; the slot now holds the conversation (unless ``holds`` is False:
        the server failed and the slot's contents are unknown)."""
        with self._cond:
            self._busy[lease.slot] = False
            self._leased[lease.slot] = None
            self._ahead[lease.slot] = False
            self._used[lease.slot] = time.monotonic()
            self._holds[lease.slot] = lease.key if holds else None
            if holds and not lease.key.startswith(PREFIX):  # a chat's start is not worth a file
                self._unsaved.add(lease.key)
            self._cond.notify_all()  # a waiter for a read-ahead may not be the first

    def unsaved(self) -> list[tuple[int, str]]:
        """(slot, conversation) for idle slots whose conversation has no up-to-date file."""
        with self._cond:
            return [
                (n, key)
                for n, key in enumerate(self._holds)
                if key in self._unsaved and not self._busy[n]
            ]

    def saved(self, key: str) -> None:
        with self._cond:
            self._unsaved.discard(key)

    def reset(self) -> None:
        """A new server process: its slots hold nothing."""
        with self._cond:
            self._holds = [None] * len(self._holds)
            self._unsaved.clear()

    def file(self, key: str) -> Path:
        return self.folder / f"{key}.bin"

    def prune(self) -> None:
        """Keep the newest saved conversations that fit in ``max_bytes``."""
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("conv-*.bin")]
        kept = 0
        for _, size, path in sorted(files, reverse=True):
            kept += size
            if kept > self.max_bytes:
                path.unlink(missing_ok=True)
