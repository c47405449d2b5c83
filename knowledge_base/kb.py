"""The knowledge base's public face: ingest, search, list, delete."""

from __future__ import annotations

import functools
import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from imaging import Ocr
from knowledge_base.captions import CaptionIndex
from knowledge_base.chunking import Chunker
from knowledge_base.embeddings import ImageEmbedding, SentenceTransformerEmbedding, resolve_device
from knowledge_base.errors import KnowledgeBaseError, RejectedFile
from knowledge_base.files import expand
from knowledge_base.ingest import Ingestor, Prepared
from knowledge_base.loaders import LoadContext, loader_for
from knowledge_base.loaders.image import open_or_reject
from knowledge_base.retrieval import MAX_QUERY_CHARS, reciprocal_rank_fusion
from knowledge_base.settings import KnowledgeSettings
from knowledge_base.snapshot import Snapshot, build_snapshot
from knowledge_base.source_view import SourceView, page_view, section_view
from knowledge_base.store import Store, connect
from knowledge_base.types import (
    DocumentInfo,
    FileReport,
    FileStatus,
    Hit,
    IngestProgress,
    IngestReport,
    Kind,
)

log = logging.getLogger(__name__)
ProgressFn = Callable[[IngestProgress], None]
SearchMode = Literal["hybrid", "vector", "lexical"]
MAX_K = 100


class KnowledgeBase:
    """Documents users add, searchable by hybrid (BM25 + vector) retrieval with sources.

    Nothing heavy happens in the constructor: Chroma opens and models load on first use.
    """

    def __init__(
        self,
        settings: KnowledgeSettings,
        embedding: SentenceTransformerEmbedding | None = None,
        ocr: Ocr | None = None,
        image_embedding: ImageEmbedding | None = None,
        scope: str = "",
    ) -> None:
        self.settings = settings
        self.scope = scope  # "" for the shared base; a user's shelf name for their own
        self.embedding = embedding or SentenceTransformerEmbedding(
            settings.embedding_model, settings.device, precision=settings.embedding_precision
        )
        self.ocr = ocr if ocr is not None else (Ocr() if settings.ocr else None)
        self.image_embedding = image_embedding or ImageEmbedding(
            settings.image_encoder, resolve_device(settings.device)
        )
        self._store: Store | None = None
        self._ingestor: Ingestor | None = None
        self._snapshot: Snapshot | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._captions = CaptionIndex(self.embedding.encode)

    # -- lazy wiring ----------------------------------------------------------------------

    @property
    def store(self) -> Store:
        with self._open_lock:
            if self._store is None:
                client = connect(self.settings)
                self._store = Store(client, self.embedding, self.image_embedding, self.scope)
            return self._store

    @property
    def images_dir(self) -> Path:
        """Where the thumbnails of image items live: a folder per document (0.png, ...)."""
        return self.settings.data_dir / "kb_images" / self.scope

    @property
    def ingestor(self) -> Ingestor:
        store = self.store
        with self._open_lock:
            if self._ingestor is None:
                self._ingestor = Ingestor(
                    store,
                    self.embedding,
                    self.image_embedding,
                    Chunker(
                        self.embedding.tokenizer,
                        self.settings.chunk_tokens,
                        self.settings.chunk_overlap,
                        self.embedding.max_tokens,
                    ),
                    LoadContext(
                        max_pages=self.settings.max_pages,
                        ocr=self.ocr,
                        ocr_lines=self.ocr.lines if isinstance(self.ocr, Ocr) else None,
                    ),
                    self.settings.max_upload_bytes,
                    self.images_dir,
                )
            return self._ingestor

    def _current(self) -> Snapshot:
        with self._snapshot_lock:
            snap = self._snapshot
            if snap is None or snap.generation != self.store.manifest.generation():
                snap = self._snapshot = build_snapshot(self.store, snap)
            return snap

    # -- public API -----------------------------------------------------------------------

    def scoped(self, scope: str) -> KnowledgeBase:
        """Another knowledge base (one user's own documents) on the same store and models."""
        if not scope or not scope.isalnum():
            raise ValueError("a scope is a non-empty alphanumeric name")
        return KnowledgeBase(
            self.settings, self.embedding, self.ocr, self.image_embedding, scope=scope
        )

    def drop(self) -> None:
        """Delete every document and the collections themselves (an expired private shelf)."""
        with self._write_lock:
            self.store.drop()
            shutil.rmtree(self.settings.data_dir / "kb_images" / self.scope, ignore_errors=True)
            self._store = self._ingestor = self._snapshot = None

    def ingest(
        self, paths: Iterable[str | Path], progress: ProgressFn | None = None
    ) -> IngestReport:
        """Add files and folders; each file gets a status. Bad files never stop the rest.

        While one file is embedded and stored, the next one is read and chunked in a helper
        thread, so parsing and OCR overlap with the model."""
        report = IngestReport()
        with self._write_lock, ThreadPoolExecutor(1, thread_name_prefix="vira-read") as pool:
            resumed = self.ingestor.repair()
            todo = [(p, s, True, "finished an interrupted ingestion") for p, s in resumed]
            todo += [(p, s, explicit, None) for p, s, explicit in expand(paths)]
            prepared = self._read_ahead(pool, [item[:3] for item in todo])
            for index, ((path, _, _, note), ready) in enumerate(zip(todo, prepared, strict=True)):
                notify = _notifier(progress, str(path), index, len(todo))
                notify("file", 0, 0, None)
                result = self._commit(ready, notify)
                result.note = result.note or (note if result.status == FileStatus.ADDED else None)
                report.files.append(result)
                notify("done", result.chunks, result.chunks, result)
        return report

    def _read_ahead(
        self, pool: ThreadPoolExecutor, todo: list[tuple[Path, str, bool]]
    ) -> Iterator[Prepared]:
        """Yield prepared files in order, keeping exactly one being prepared ahead."""
        following = pool.submit(self._prepare, *todo[0]) if todo else None
        for index in range(len(todo)):
            current = following
            following = (
                pool.submit(self._prepare, *todo[index + 1]) if index + 1 < len(todo) else None
            )
            yield current.result()  # type: ignore[union-attr]

    def _prepare(self, path: Path, source: str, explicit: bool) -> Prepared:
        if path.is_file():
            try:
                loader_for(path)
            except RejectedFile as exc:
                # Asked for by name, an unsupported file is an error; met in a folder, it is not.
                status = FileStatus.FAILED if explicit else FileStatus.SKIPPED
                return Prepared(FileReport(str(path), source, status, reason=str(exc)))
        return self._guarded(path, source, lambda: self.ingestor.prepare(path, source))

    def _commit(self, prepared: Prepared, notify: Callable[..., None]) -> FileReport:
        report = prepared.report
        return self._guarded(
            Path(report.path),
            report.source,
            lambda: self.ingestor.commit(
                prepared, lambda done, total: notify("stored", done, total, None)
            ),
        ).report

    @staticmethod
    def _guarded(path: Path, source: str, work: Callable[[], Any]) -> Prepared:
        """Run one file's step; any failure becomes that file's one-line reason."""
        try:
            result = work()
        except KnowledgeBaseError as exc:
            return Prepared(FileReport(str(path), source, FileStatus.FAILED, reason=str(exc)))
        except Exception as exc:  # one broken file must not end a folder's ingestion
            log.exception("ingesting %s failed", path)
            reason = f"unexpected error: {type(exc).__name__}: {exc}".splitlines()[0]
            return Prepared(FileReport(str(path), source, FileStatus.FAILED, reason=reason))
        return result if isinstance(result, Prepared) else Prepared(result)

    def search(
        self, query: str, k: int = 5, kind: Kind | None = None, mode: SearchMode = "hybrid"
    ) -> list[Hit]:
        """Hybrid search: BM25 and vector rankings fused by reciprocal rank.

        ``mode="vector"`` or ``"lexical"`` uses one retriever alone (for comparisons)."""
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not query:
            raise KnowledgeBaseError("the query is empty")
        if kind not in (None, "text", "image"):
            raise KnowledgeBaseError(f"kind must be 'text' or 'image', not {kind!r}")
        k = max(1, min(int(k), MAX_K))
        snap = self._current()
        if not snap.items:
            return []
        if mode not in ("hybrid", "vector", "lexical"):
            raise KnowledgeBaseError(f"mode must be hybrid, vector or lexical, not {mode!r}")
        pool = max(4 * k, 20)
        rankings: list[list[str]] = []
        similarity: dict[str, float] = {}
        if mode != "lexical":
            rankings, similarity = self._vector_rankings(snap, query, pool, kind)
        if mode != "vector":
            rankings.append(snap.lexical.search(query, pool, kind))
        fused = reciprocal_rank_fusion(rankings)[:k]
        return [self._own(snap.items[i].found(score, similarity.get(i))) for i, score in fused]

    def document_text(self, doc_id: str, limit: int = 20_000) -> str:
        """A document's text, its chunks in order (at most ``limit`` characters): for checks
        that need the whole document, such as a name only its first page says."""
        chunks = [h for h in self._current().items.values() if h.doc_id == doc_id]
        chunks.sort(key=lambda h: (h.page or 0, h.chunk_index))
        return "\n".join(h.indexed_text for h in chunks if h.kind == "text")[:limit]

    def source_view(self, hit: Hit) -> SourceView:
        """A passage of this knowledge base where it sits (its PDF page, highlighted, or its
        section around it); an empty view for a passage it does not hold."""
        items = self._current().items
        if hit.kind != "text" or hit.id not in items:
            return SourceView()
        stored = items[hit.id]
        return page_view(self.images_dir / stored.doc_id, stored) or section_view(stored, items)

    def _own(self, hit: Hit) -> Hit:
        return replace(hit, private=True) if self.scope else hit

    def _vector_rankings(
        self, snap: Snapshot, query: str, pool: int, kind: Kind | None
    ) -> tuple[list[list[str]], dict[str, float]]:
        text_vector = functools.cache(lambda: self.embedding.encode([query]))
        vectors = {"text": text_vector}
        if self.image_embedding.text_queryable:  # CLIP/SigLIP: text and images share a space
            vectors["image"] = lambda: self.image_embedding.embed_text([query])
        rankings, similarity = [], {}
        if not self.image_embedding.text_queryable and kind in (None, "image"):
            pictures = [it for it in snap.items.values() if it.kind == "image"]
            ranked_captions = self._captions.rank(pictures, text_vector()[0], pool)
            if ranked_captions:
                rankings.append([i for i, _ in ranked_captions])
                similarity.update(ranked_captions)
        for name, col in self.store.collections().items():
            visible = snap.count(name)
            if (kind and kind != name) or not visible or name not in vectors:
                continue
            got = self._query(col, snap, vectors[name](), min(pool, visible))
            ranked = [i for i in got["ids"][0] if i in snap.items]
            rankings.append(ranked)
            for item_id, dist in zip(got["ids"][0], got["distances"][0], strict=True):
                similarity[item_id] = 1.0 - float(dist)
        return rankings, similarity

    @staticmethod
    def _query(col: Any, snap: Snapshot, vector: Any, n: int) -> dict[str, Any]:
        where = {"doc_id": {"$nin": snap.hidden}} if snap.hidden else None
        return col.query(query_embeddings=vector, n_results=n, where=where, include=["distances"])

    def search_by_image(self, image: Image.Image | Path | bytes, k: int = 5) -> list[Hit]:
        """Image items that look like this image (image -> image), most similar first."""
        picture = image if isinstance(image, Image.Image) else open_or_reject(image)
        snap = self._current()
        visible = snap.count("image")
        if not visible:
            return []
        vectors, _ = self.image_embedding.embed_and_label([picture], 1)
        got = self._query(self.store.images, snap, vectors, min(max(1, k), visible))
        return [
            self._own(snap.items[i].found(1.0 - float(d), 1.0 - float(d)))
            for i, d in zip(got["ids"][0], got["distances"][0], strict=True)
            if i in snap.items
        ]

    def list(self) -> list[DocumentInfo]:
        """Committed documents, newest first."""
        records = self.store.manifest.records().values()
        return sorted(
            (
                DocumentInfo(
                    r.doc_id,
                    r.source,
                    r.chunks,
                    r.images,
                    r.pages or None,
                    r.ingested_at,
                    r.size_bytes,
                    r.flagged,
                    private=bool(self.scope),
                    thumbnail=self._thumbnail(r.doc_id) if r.images else None,
                )
                for r in records
                if r.status == "committed"
            ),
            key=lambda d: d.ingested_at,
            reverse=True,
        )

    def _thumbnail(self, doc_id: str) -> str | None:
        first = self.images_dir / doc_id / "0.png"
        return str(first) if first.is_file() else None

    def delete(self, doc_id: str) -> DocumentInfo:
        """Remove every chunk and image item of a document (a unique id prefix is enough)."""
        with self._write_lock:
            record = self._resolve(doc_id)
            info = next(d for d in self.list() if d.doc_id == record.doc_id)
            self.ingestor.delete(record)
            return info

    def _resolve(self, doc_id: str) -> Any:
        doc_id = doc_id.strip().lower()
        if len(doc_id) < 4:
            raise KnowledgeBaseError("give at least 4 characters of the document id")
        matches = [
            r
            for r in self.store.manifest.records().values()
            if r.doc_id.startswith(doc_id) and r.status == "committed"
        ]
        if not matches:
            raise KnowledgeBaseError(f"no document with id {doc_id!r}")
        if len(matches) > 1:
            raise KnowledgeBaseError(f"id {doc_id!r} is ambiguous: {len(matches)} documents match")
        return matches[0]


def _notifier(progress: ProgressFn | None, path: str, index: int, count: int) -> Callable:
    def notify(stage: str, done: int, total: int, report: FileReport | None) -> None:
        if progress is not None:
            progress(IngestProgress(stage, path, index, count, done, total, report))  # type: ignore[arg-type]

    return notify
