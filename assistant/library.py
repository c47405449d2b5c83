"""The knowledge base as users reach it: everyone reads the shared base, admins change it,
and every change (or refused attempt) lands in the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assistant.access import PermissionDenied, User, require_admin
from assistant.audit import AuditEntry, AuditLog
from knowledge_base import KnowledgeBase
from knowledge_base.kb import ProgressFn
from knowledge_base.types import DocumentInfo, FileStatus, Hit, IngestReport


class Library:
    def __init__(self, knowledge: KnowledgeBase, audit: AuditLog, audit_lines: int) -> None:
        self.knowledge = knowledge
        self.audit_log = audit
        self.audit_lines = audit_lines

    def ingest(
        self, user: User, paths: Iterable[str | Path], progress: ProgressFn | None = None
    ) -> IngestReport:
        paths = [Path(p) for p in paths]
        names = ", ".join(p.name for p in paths)
        self._allowed(user, "add documents to", "ingest", names)
        report = self.knowledge.ingest(paths, progress=progress)
        self.audit_log.record(AuditEntry.now(user, "ingest", names, _summary(report)))
        return report

    def delete(self, user: User, doc_id: str) -> DocumentInfo:
        self._allowed(user, "delete documents of", "delete", doc_id)
        try:
            info = self.knowledge.delete(doc_id)
        except Exception as exc:
            self.audit_log.record(AuditEntry.now(user, "delete", doc_id, f"failed: {exc}"))
            raise
        result = f"deleted {info.source} ({info.chunks} chunks)"
        self.audit_log.record(AuditEntry.now(user, "delete", doc_id, result))
        return info

    def list(self, user: User) -> list[DocumentInfo]:
        return self.knowledge.list()

    def search(self, user: User, query: str, k: int = 5) -> list[Hit]:
        return self.knowledge.search(query, k=k)

    def audit(self, user: User) -> list[AuditEntry]:
        return self.audit_log.entries(user, self.audit_lines)

    def _allowed(self, user: User, verb: str, action: str, target: str) -> None:
        try:
            require_admin(user, verb)
        except PermissionDenied as exc:
            self.audit_log.record(AuditEntry.now(user, action, target, f"refused: {exc}"))
            raise


def _summary(report: IngestReport) -> str:
    counts = {status: 0 for status in FileStatus}
    for file in report.files:
        counts[file.status] += 1
    return ", ".join(f"{n} {status.value}" for status, n in counts.items() if n) or "no files"
