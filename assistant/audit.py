"""The audit log of the shared knowledge base: who changed it, when, what, with what result
(refusals included). One JSON line per entry in the data dir; only admins may read it."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.access import User, require_admin


@dataclass(frozen=True)
class AuditEntry:
    time: str  # UTC, ISO 8601
    user: str
    role: str
    action: str  # ingest | delete
    target: str  # file names or a document id
    result: str  # what happened, or why it was refused

    @classmethod
    def now(cls, user: User, action: str, target: str, result: str) -> AuditEntry:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(stamp, user.label, user.role.value, action, target[:500], result[:500])


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, entry: AuditEntry) -> None:
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)  # one write per line: a crash never leaves half an entry behind

    def entries(self, user: User, limit: int = 200) -> list[AuditEntry]:
        """The newest ``limit`` entries, newest first; admins only."""
        require_admin(user, "read the audit log of")
        if not self.path.exists():
            return []
        with self._lock, self.path.open(encoding="utf-8") as f:
            tail = deque(f, maxlen=limit)
        return [AuditEntry(**json.loads(line)) for line in reversed(tail) if line.strip()]
