"""Value objects the knowledge base returns and passes between its stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any, Literal

__all__ = [
    "DocumentInfo",
    "FileReport",
    "FileStatus",
    "Hit",
    "IngestProgress",
    "IngestReport",
    "Kind",
]

Kind = Literal["text", "image"]


@dataclass(frozen=True)
class Hit:
    """One stored passage (a chunk of text, or an image item) with where it came from; a
    search fills in its ``score`` and ``similarity``. Every layer passes passages as Hits."""

    id: str
    text: str
    source: str
    page: int | None
    chunk_index: int
    kind: Kind
    doc_id: str
    heading: str | None = None
    image_path: str | None = None
    labels: str | None = None  # what the image encoder saw in an image item
    score: float = 0.0  # the fused rank score of the search that found it
    similarity: float | None = None  # cosine similarity when the vector search found it
    private: bool = False  # from one user's own documents, not the shared knowledge base

    @classmethod
    def from_stored(cls, item_id: str, kind: Kind, text: str, meta: dict[str, Any]) -> Hit:
        page = meta.get("page")
        return cls(
            id=item_id,
            text=text,
            source=str(meta["source"]),
            page=int(page) if page is not None else None,
            chunk_index=int(meta.get("chunk_index", 0)),
            kind=kind,
            doc_id=str(meta["doc_id"]),
            heading=meta.get("heading"),
            image_path=meta.get("image_path"),
            labels=meta.get("labels"),
        )

    @property
    def indexed_text(self) -> str:
        """What BM25 sees: the heading path (chunks) or the labels (images), then the text."""
        return "\n".join(part for part in (self.heading, self.labels, self.text) if part)

    def found(self, score: float, similarity: float | None) -> Hit:
        return replace(self, score=score, similarity=similarity)

    def citation(self) -> str:
        where = f", p. {self.page}" if self.page is not None else ""
        return f"{self.source}{where}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FileStatus(str, Enum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class FileReport:
    path: str
    source: str
    status: FileStatus
    doc_id: str | None = None
    chunks: int = 0
    images: int = 0
    size: int = 0
    reason: str | None = None
    note: str | None = None

    def detail(self) -> str:
        """Why it failed or was skipped, else what it holds."""
        return self.reason or f"{plural(self.chunks, 'chunk')}, {plural(self.images, 'image')}"

    def line(self) -> str:
        detail = self.detail()
        if self.note:
            detail += f" ({self.note})"
        return f"{self.status.value:9} {self.source}: {detail}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def chunks_added(self) -> int:
        return sum(
            f.chunks for f in self.files if f.status in (FileStatus.ADDED, FileStatus.REPLACED)
        )

    @property
    def errors(self) -> list[FileReport]:
        return [f for f in self.files if f.status == FileStatus.FAILED]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "chunks_added": self.chunks_added,
            "errors": len(self.errors),
        }


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    source: str
    chunks: int
    images: int
    pages: int | None
    ingested_at: float
    size_bytes: int
    #: Passages that address the assistant ("ignore previous instructions..."): they are
    #: left out of what the answering model reads.
    flagged: int = 0
    private: bool = False  # one user's own document, not the shared knowledge base
    thumbnail: str | None = None  # the file of its first picture's thumbnail, if it has one

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IngestProgress:
    """Reported to ``ingest(progress=...)`` as work advances."""

    stage: Literal["file", "stored", "done"]
    path: str
    file_index: int
    file_count: int
    done_chunks: int = 0
    total_chunks: int = 0
    report: FileReport | None = None


def plural(n: int, word: str) -> str:
    """ "1 chunk", "2 chunks"."""
    return f"{n} {word}{'' if n == 1 else 's'}"
