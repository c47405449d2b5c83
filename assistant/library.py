"""The knowledge base as users reach it: everyone reads the shared base, admins change it
(every change, or refused attempt, lands in the audit log), and anyone may keep documents of
their own that only they see: a private shelf, searched together with the shared base. A
signed-in user's shelf lasts; a visitor's expires with their browser session."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from assistant.access import PermissionDenied, User, require_admin
from assistant.audit import AuditEntry, AuditLog
from assistant.limits import FairUse, LimitExceeded
from knowledge_base import KnowledgeBase, KnowledgeBaseError
from knowledge_base.kb import ProgressFn
from knowledge_base.shelves import Shelves
from knowledge_base.types import DocumentInfo, FileStatus, Hit, IngestReport, plural


class Library:
    def __init__(
        self,
        knowledge: KnowledgeBase,
        audit: AuditLog,
        fair_use: FairUse,
        max_own_documents: int,
        audit_lines: int = 200,
    ) -> None:
        self.knowledge = knowledge
        self.audit_log = audit
        self.fair_use = fair_use
        self.max_own_documents = max_own_documents
        self.audit_lines = audit_lines
        self._registry = knowledge.settings.data_dir / "shelves.json"
        self._own: dict[str, KnowledgeBase] = {}
        self._lock = threading.Lock()

    # -- reading: everyone, their own shelf included ---------------------------------------

    def shelves(self, user: User) -> Shelves:
        """What ``user`` reads: the shared base and, once they have one, their own shelf."""
        return Shelves(self.knowledge, self._shelf(user, create=False))

    def list(self, user: User) -> list[DocumentInfo]:
        return self.shelves(user).list()

    def search(self, user: User, query: str, k: int = 5) -> list[Hit]:
        return self.shelves(user).search(query, k=k)

    # -- changing ---------------------------------------------------------------------------

    def ingest(
        self,
        user: User,
        paths: Iterable[str | Path],
        progress: ProgressFn | None = None,
        private: bool = False,
    ) -> IngestReport:
        """Add files to the shared base (admins) or to ``user``'s own shelf (anyone, within
        the fair-use limits)."""
        paths = [Path(p) for p in paths]
        if private:
            self._within_limits(user, paths)
            return self._shelf(user, create=True).ingest(paths, progress=progress)  # type: ignore[union-attr]
        names = ", ".join(p.name for p in paths)
        self._allowed(user, "add documents to", "ingest", names)
        report = self.knowledge.ingest(paths, progress=progress)
        self.audit_log.record(AuditEntry.now(user, "ingest", names, _summary(report)))
        return report

    def delete(self, user: User, doc_id: str) -> DocumentInfo:
        """Delete one of ``user``'s own documents, or (admins) one of the shared base. An id
        of another user's document is not found: shelves never see each other."""
        own = self._shelf(user, create=False)
        if own is not None:
            try:
                return own.delete(doc_id)
            except KnowledgeBaseError as exc:
                if "no document" not in str(exc):
                    raise
        # The log names the file: an id means nothing to whoever reads it.
        named = next((d.source for d in self.knowledge.list() if d.doc_id == doc_id), doc_id)
        self._allowed(user, "delete documents of", "delete", named)
        try:
            info = self.knowledge.delete(doc_id)
        except Exception as exc:
            self.audit_log.record(AuditEntry.now(user, "delete", named, f"failed: {exc}"))
            raise
        result = f"deleted {info.source} ({plural(info.chunks, 'chunk')})"
        self.audit_log.record(AuditEntry.now(user, "delete", named, result))
        return info

    def audit(self, user: User) -> list[AuditEntry]:
        return self.audit_log.entries(user, self.audit_lines)

    def expire(self, ttl_seconds: float) -> int:
        """Drop the shelves of visitors' sessions idle for ``ttl_seconds``; returns how many."""
        with self._lock:
            registry = self._read()
            old = [s for s, r in registry.items()
                   if r["session"] and r["used"] < time.time() - ttl_seconds]  # fmt: skip
            for scope in old:
                self.knowledge.scoped(scope).drop()
                self._own = {k: kb for k, kb in self._own.items() if kb.scope != scope}
                del registry[scope]
            self._write(registry)
        return len(old)

    def any_shelves(self) -> bool:
        """Whether any user has kept documents of their own (some shelf exists)."""
        with self._lock:
            return bool(self._read())

    # -- helpers ----------------------------------------------------------------------------

    def _shelf(self, user: User, create: bool) -> KnowledgeBase | None:
        scope = shelf_name(user)
        with self._lock:
            registry = self._read()
            if scope not in registry and not create:
                return None
            registry[scope] = {"session": user.name is None, "used": time.time()}
            self._write(registry)
            if user.key not in self._own:
                self._own[user.key] = self.knowledge.scoped(scope)
            return self._own[user.key]

    def _within_limits(self, user: User, paths: list[Path]) -> None:
        if user.is_admin:
            return
        own = self._shelf(user, create=False)
        held = len(own.list()) if own is not None else 0
        if self.max_own_documents and held + len(paths) > self.max_own_documents:
            raise LimitExceeded(
                f"You keep {held} documents of your own and may keep "
                f"{self.max_own_documents}: delete some first (a fair-use limit of this server)."
            )
        self.fair_use.upload(user.key, sum(p.stat().st_size for p in paths if p.is_file()))

    def _allowed(self, user: User, verb: str, action: str, target: str) -> None:
        try:
            require_admin(user, verb)
        except PermissionDenied as exc:
            self.audit_log.record(AuditEntry.now(user, action, target, f"refused: {exc}"))
            raise

    def _read(self) -> dict[str, dict]:
        try:
            return json.loads(self._registry.read_text())
        except (OSError, ValueError):
            return {}

    def _write(self, registry: dict[str, dict]) -> None:
        self._registry.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._registry.with_suffix(".tmp")
        tmp.write_text(json.dumps(registry))
        tmp.replace(self._registry)  # atomic: a crash never leaves half a registry


def _summary(report: IngestReport) -> str:
    counts = {status: 0 for status in FileStatus}
    for file in report.files:
        counts[file.status] += 1
    return ", ".join(f"{n} {status.value}" for status, n in counts.items() if n) or "no files"


def shelf_name(user: User) -> str:
    """The name of ``user``'s own shelf (their Chroma collections): derived from who they are,
    so it never needs storing, and not guessable from a document id."""
    return "u" + hashlib.sha256(user.key.encode()).hexdigest()[:24]
