"""Per-session memory in SQLite under the data dir: turns (bounded by a token budget) and the
image registry (img-1, img-2, ...), so a session survives restarts. Sessions expire.

A session is also a conversation a person can come back to: it may have an owner (a signed-in
user or a browser) and a title, and its transcript keeps each answer's sources."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.events import Answer, Source
from knowledge_base import Hit
from tools.answering.prompt import Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, created REAL, last_seen REAL, owner TEXT DEFAULT '',
    title TEXT DEFAULT ''
);
CREATE TABLE IF NOT EXISTS images (
    session_id TEXT, number INTEGER, sha256 TEXT, path TEXT, name TEXT, labels TEXT,
    PRIMARY KEY (session_id, number)
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT, number INTEGER, role TEXT, text TEXT, images TEXT, created REAL,
    prompt TEXT DEFAULT '', facts_of TEXT DEFAULT '[]', uploaded TEXT DEFAULT '[]',
    sources TEXT DEFAULT '[]',
    PRIMARY KEY (session_id, number)
);
"""
# Columns added after the first release: databases from then get them on open.
ADDED_COLUMNS = {
    "turns": {
        "prompt": "TEXT DEFAULT ''",
        "facts_of": "TEXT DEFAULT '[]'",
        "uploaded": "TEXT DEFAULT '[]'",
        "sources": "TEXT DEFAULT '[]'",
    },
    "sessions": {"owner": "TEXT DEFAULT ''", "title": "TEXT DEFAULT ''"},
}
OMITTED = "[earlier turns omitted]"
UNTITLED = "New conversation"
TITLE_CHARS = 60


@dataclass(frozen=True)
class StoredImage:
    number: int
    sha256: str
    path: Path
    name: str
    labels: tuple[str, ...]

    @property
    def image_id(self) -> str:
        return f"img-{self.number}"


@dataclass(frozen=True)
class Conversation:
    """A session as its owner's list shows it: titled by its name or its first question."""

    id: str
    title: str
    last_seen: float


@dataclass(frozen=True)
class Exchange:
    """One question with the pictures sent with it, and the answer with its sources."""

    question: str
    uploaded: tuple[StoredImage, ...]
    answer: Answer


class Memory:
    def __init__(self, data_dir: Path, ttl_s: float) -> None:
        self.root = data_dir / "sessions"
        self.root.mkdir(parents=True, exist_ok=True)
        self.ttl_s = ttl_s
        self._db = sqlite3.connect(self.root / "memory.sqlite3", check_same_thread=False)
        self._db.executescript(SCHEMA)
        self._migrate()
        self._lock = threading.Lock()

    def _migrate(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        self._db.commit()

    def _exec(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock, self._db:
            return self._db.execute(sql, args).fetchall()

    def folder(self, session_id: str) -> Path:
        # Hex of the id: any string is a safe, distinct folder name.
        return self.root / session_id.encode().hex()[:128]

    def touch(self, session_id: str) -> None:
        now = time.time()
        self._exec(
            "INSERT INTO sessions (id, created, last_seen) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET last_seen=?",
            (session_id, now, now, now),
        )

    def add_image(self, session_id: str, source: Path, sha256: str, name: str) -> StoredImage:
        """Register an image (a copy is kept); the same content twice keeps its first id."""
        for image in self.images(session_id):
            if image.sha256 == sha256:
                return image
        folder = self.folder(session_id) / "images"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{sha256[:32]}{source.suffix.lower()[:8]}"
        shutil.copyfile(source, target)
        number = len(self.images(session_id)) + 1
        self._exec(
            "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, number, sha256, str(target), name, ""),
        )
        return StoredImage(number, sha256, target, name, ())

    def set_labels(self, session_id: str, number: int, labels: list[str]) -> None:
        self._exec(
            "UPDATE images SET labels=? WHERE session_id=? AND number=?",
            (json.dumps(labels), session_id, number),
        )

    def images(self, session_id: str) -> list[StoredImage]:
        rows = self._exec(
            "SELECT number, sha256, path, name, labels FROM images WHERE session_id=? "
            "ORDER BY number",
            (session_id,),
        )
        return [
            StoredImage(n, sha, Path(path), name, tuple(json.loads(labels or "[]")))
            for n, sha, path, name, labels in rows
        ]

    def add_turn(
        self,
        session_id: str,
        role: str,
        text: str,
        images: list[str],
        prompt: str = "",
        facts_of: tuple[str, ...] = (),
        uploaded: Sequence[str] = (),
        sources: Sequence[Source] = (),
    ) -> None:
        """Keep a turn: a user's (with the images sent with it) or an answer (with its
        sources, so a conversation opened again shows them where they were)."""
        (count,) = self._exec("SELECT COUNT(*) FROM turns WHERE session_id=?", (session_id,))[0]
        self._exec(
            "INSERT INTO turns (session_id, number, role, text, images, created, prompt, "
            "facts_of, uploaded, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                count + 1,
                role,
                text,
                json.dumps(images),
                time.time(),
                prompt,
                json.dumps(list(facts_of)),
                json.dumps(list(uploaded)),
                json.dumps([asdict(s) for s in sources]),
            ),
        )

    def transcript(self, session_id: str) -> list[Exchange]:
        """The whole conversation as it was shown: each question, the images sent with it,
        and its answer with the sources it had."""
        rows = self._exec(
            "SELECT role, text, images, uploaded, sources FROM turns WHERE session_id=? "
            "ORDER BY number",
            (session_id,),
        )
        by_id = {image.image_id: image for image in self.images(session_id)}
        exchanges, question, sent = [], "", ()
        for role, text, images, uploaded, sources in rows:
            if role == "user":
                question = text
                sent = tuple(by_id[i] for i in json.loads(uploaded or "[]") if i in by_id)
            elif role == "assistant":
                kept = tuple(_source(s) for s in json.loads(sources or "[]"))
                answer = Answer(text, list(kept), json.loads(images or "[]"))
                exchanges.append(Exchange(question, sent, answer))
                question, sent = "", ()
        return exchanges

    def claim(self, session_id: str, owner: str) -> bool:
        """Make ``owner`` the session's owner unless somebody else already is; True when the
        session is theirs."""
        now = time.time()
        self._exec(
            "INSERT INTO sessions (id, created, last_seen, owner) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET owner=? WHERE owner=''",
            (session_id, now, now, owner, owner),
        )
        rows = self._exec("SELECT owner FROM sessions WHERE id=?", (session_id,))
        return bool(rows) and rows[0][0] == owner

    def conversations(self, owner: str) -> list[Conversation]:
        """The owner's conversations that have at least one answer, the latest first."""
        rows = self._exec(
            "SELECT s.id, s.title, s.last_seen, (SELECT text FROM turns t WHERE "
            "t.session_id=s.id AND t.role='user' ORDER BY number LIMIT 1) FROM sessions s "
            "WHERE s.owner=? AND EXISTS (SELECT 1 FROM turns t WHERE t.session_id=s.id) "
            "ORDER BY s.last_seen DESC",
            (owner,),
        )
        return [
            Conversation(sid, title or _title(first or ""), seen)
            for sid, title, seen, first in rows
        ]

    def rename(self, session_id: str, title: str) -> None:
        title = " ".join(title.split())[:TITLE_CHARS]
        self._exec("UPDATE sessions SET title=? WHERE id=?", (title, session_id))

    def delete(self, session_id: str) -> None:
        """Forget a conversation: its turns, its images and their files."""
        self.clear(session_id)
        self._exec("DELETE FROM sessions WHERE id=?", (session_id,))

    def history(self, session_id: str, budget_tokens: int) -> list[Turn]:
        """The latest turns that fit the budget, oldest first; a marker turn says when older
        ones were left out."""
        rows = self._exec(
            "SELECT role, text, images, prompt, facts_of FROM turns WHERE session_id=? "
            "ORDER BY number",
            (session_id,),
        )
        turns = [
            Turn(role, text, prompt or "", tuple(json.loads(f)), tuple(json.loads(images)))
            for role, text, images, prompt, f in rows
        ]
        start = _first_fitting(turns, budget_tokens)
        return ([Turn("system", OMITTED)] if start else []) + turns[start:]

    def clear(self, session_id: str) -> None:
        for table in ("turns", "images"):
            self._exec(f"DELETE FROM {table} WHERE session_id=?", (session_id,))
        shutil.rmtree(self.folder(session_id), ignore_errors=True)

    def expire(self) -> list[str]:
        """Delete sessions not seen for ``ttl_s``, with their files; returns their ids."""
        cutoff = time.time() - self.ttl_s
        stale = [
            sid for (sid,) in self._exec("SELECT id FROM sessions WHERE last_seen<?", (cutoff,))
        ]
        for sid in stale:
            self.delete(sid)
        return stale


def _title(question: str) -> str:
    words = " ".join(question.split())
    if len(words) <= TITLE_CHARS:
        return words or UNTITLED
    return words[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _source(stored: dict) -> Source:
    return Source(stored["number"], Hit(**stored["hit"]), stored.get("cited", False))


def turn_tokens(turn: Turn) -> int:
    """About how many tokens a turn takes in the prompt (4 characters a token)."""
    return len(turn.prompt or turn.text) // 4 + 4


def _first_fitting(turns: list[Turn], budget: int) -> int:
    """Where the kept history starts. When the conversation outgrows the budget, the start
    jumps so that about half the budget is kept, then stays put while the conversation grows
    back: the prompt's prefix (and the model's cache of it) changes once per half budget of
    new conversation, not on every turn."""
    total = sum(turn_tokens(turn) for turn in turns)
    step = max(1, budget // 2)
    before, mark, first_fit = 0, step, None
    for start, turn in enumerate(turns):
        fits = total - before <= budget
        if fits and first_fit is None:
            first_fit = start
        if start == 0 or before >= mark:  # the first turn past each half-budget mark
            if fits:
                return start
            while before >= mark:
                mark += step
        before += turn_tokens(turn)
    return len(turns) if first_fit is None else first_fit
