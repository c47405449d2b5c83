"""Writing one document under the pending -> committed protocol, and repairing killed runs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge_base import loaders
from knowledge_base.captions import describe_labels
from knowledge_base.chunking import Chunk, Chunker
from knowledge_base.embeddings import Label
from knowledge_base.embeddings.kinds import KIND_TOP_K, kinds
from knowledge_base.errors import RejectedFile
from knowledge_base.files import check_size, content_id
from knowledge_base.instructions import addresses_assistant
from knowledge_base.loaders import ImageItem, LoadContext, LoadedDocument
from knowledge_base.store import DocRecord, Store
from knowledge_base.types import FileReport, FileStatus

StoredFn = Callable[[int, int], None]
HOST = socket.gethostname()
# A pending record from another machine with no heartbeat for this long is abandoned.
STALE_AFTER_S = 15 * 60
THUMBNAIL_SIDE = 768
PAGES_FILE, LINES_FILE = "document.pdf", "page_lines.json"  # in the document's folder


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Prepared:
    """A file read and chunked, not yet stored; ``doc`` is None when the report is final."""

    report: FileReport
    doc: LoadedDocument | None = None
    chunks: list[Chunk] = field(default_factory=list)


class Ingestor:
    def __init__(
        self,
        store: Store,
        embedding: Any,
        image_embedding: Any,
        chunker: Chunker,
        ctx: LoadContext,
        max_bytes: int,
        images_dir: Path,
    ) -> None:
        self.store = store
        self.embedding = embedding
        self.image_embedding = image_embedding
        self.chunker = chunker
        self.ctx = ctx
        self.max_bytes = max_bytes
        self.images_dir = images_dir
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    # -- one file -------------------------------------------------------------------------

    def prepare(self, path: Path, source: str) -> Prepared:
        """The expensive, store-free part: read, parse, OCR and chunk. Safe to run ahead in
        another thread while the previous file is being embedded."""
        report = FileReport(str(path), source, FileStatus.FAILED)
        try:
            report.size = check_size(path, self.max_bytes)
            report.doc_id = content_id(path)
            if self._settled(report, self.store.manifest.records()):
                return Prepared(report)
            doc = loaders.load(path, self.ctx)
        except RejectedFile as exc:
            report.reason = str(exc)
            return Prepared(report)
        return Prepared(report, doc, self.chunker.chunk(doc.sections))

    def commit(self, prepared: Prepared, on_stored: StoredFn) -> FileReport:
        """Store a prepared document, deciding against the manifest as it is now."""
        report, doc = prepared.report, prepared.doc
        if doc is None:
            return report
        records = self.store.manifest.records()
        if self._settled(report, records):
            return report
        known = records.get(report.doc_id)
        if known is not None:
            self._purge(known)  # left by a dead run: its owner was checked in _settled
        old = [r for r in records.values() if r.source == report.source and r.status == "committed"]
        record = DocRecord(
            doc_id=report.doc_id,
            source=report.source,
            status="pending",
            chunks=len(prepared.chunks),
            images=len(doc.images),
            flagged=sum(addresses_assistant(c.text) for c in prepared.chunks)
            + sum(addresses_assistant(i.searchable) for i in doc.images),
            pages=doc.pages or 0,
            size_bytes=report.size,
            path=str(Path(report.path).resolve()),
            owner_host=HOST,
            owner_pid=os.getpid(),
            replaces=",".join(r.doc_id for r in old),
        )
        self._write(record, prepared.chunks, doc, old, on_stored)
        report.status = FileStatus.REPLACED if old else FileStatus.ADDED
        report.chunks, report.images = len(prepared.chunks), len(doc.images)
        return report

    def _settled(self, report: FileReport, records: dict[str, DocRecord]) -> bool:
        """True (and the report filled in) when this content needs no work: already stored,
        or being stored right now by a live process."""
        known = records.get(report.doc_id or "")
        if known is None:
            return False
        if known.status == "committed":
            report.status = FileStatus.UNCHANGED
            if known.source != report.source:
                report.note = f"same content as {known.source}"
            report.chunks, report.images = known.chunks, known.images
            return True
        if self._owner_alive(known):
            report.status = FileStatus.SKIPPED
            report.reason = "being ingested by another process"
            return True
        return False

    def _write(
        self,
        record: DocRecord,
        chunks: list[Chunk],
        doc: LoadedDocument,
        old: list[DocRecord],
        on_stored: StoredFn,
    ) -> None:
        images = doc.images
        with self._lock:
            self._in_flight.add(record.doc_id)
        try:
            self._heartbeat(record)
            total = len(chunks) + len(images)
            for start in range(0, len(chunks), self.store.batch_size):
                self._add_chunks(record, chunks[start : start + self.store.batch_size])
                self._heartbeat(record)
                on_stored(min(start + self.store.batch_size, len(chunks)), total)
            if images:
                self._add_images(record, images)
                on_stored(total, total)
            self._keep_pages(record, doc)
            # The commit point: one upsert makes the new version visible and hides the old.
            record.status, record.ingested_at = "committed", time.time()
            for prior in old:
                prior.status = "deleting"
            self.store.manifest.write(record, *old)
        except BaseException:
            self._purge(record)
            raise
        finally:
            with self._lock:
                self._in_flight.discard(record.doc_id)
        for prior in old:
            self._purge(prior)

    def _heartbeat(self, record: DocRecord) -> None:
        record.heartbeat = time.time()
        self.store.manifest.write(record, bump=False)

    def _add_chunks(self, record: DocRecord, chunks: list[Chunk]) -> None:
        self.store.text.add(
            ids=[f"{record.doc_id}:{c.index}" for c in chunks],
            embeddings=self.embedding.encode([c.indexed_text for c in chunks]),
            documents=[c.text for c in chunks],
            metadatas=[_chunk_meta(record, c) for c in chunks],
        )

    def _add_images(self, record: DocRecord, images: list[ImageItem]) -> None:
        folder = self.images_dir / record.doc_id
        folder.mkdir(parents=True, exist_ok=True)
        pixels = [i.image for i in images]
        vectors, labels = self.image_embedding.embed_and_label(pixels, KIND_TOP_K)
        metas = []
        for n, (item, item_labels) in enumerate(zip(images, labels, strict=True)):
            thumb = item.image.copy()
            thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            target = folder / f"{n}.png"
            thumb.save(target)
            meta = {"doc_id": record.doc_id, "source": record.source, "chunk_index": n}
            meta |= {"kind": "image", "image_path": str(target)}
            meta["labels"] = index_labels(item_labels)
            if item.page is not None:
                meta["page"] = item.page
            metas.append(meta)
        self.store.images.add(
            ids=[f"{record.doc_id}:img:{n}" for n in range(len(images))],
            embeddings=vectors,
            documents=[item.searchable for item in images],
            metadatas=metas,
        )

    def _keep_pages(self, record: DocRecord, doc: LoadedDocument) -> None:
        """What showing a cited passage on its page needs: a PDF's own copy (the upload is
        gone by then) and where its scanned pages' lines are."""
        if loaders.loader_for(Path(record.path)) is not loaders.load_pdf:
            return
        folder = self.images_dir / record.doc_id
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(record.path, folder / PAGES_FILE)
        if doc.page_lines:
            (folder / LINES_FILE).write_text(json.dumps(doc.page_lines))

    # -- deletion and repair --------------------------------------------------------------

    def delete(self, record: DocRecord) -> None:
        record.status = "deleting"
        self.store.manifest.write(record)
        self._purge(record)

    def _purge(self, record: DocRecord) -> None:
        """Remove a document's items, then its record: a kill in between is repaired later."""
        self.store.delete_items(record.doc_id)
        shutil.rmtree(self.images_dir / record.doc_id, ignore_errors=True)
        self.store.manifest.remove(record.doc_id)

    def _owner_alive(self, record: DocRecord) -> bool:
        if record.owner_host == HOST:
            if record.owner_pid == os.getpid():
                with self._lock:
                    return record.doc_id in self._in_flight
            return _pid_alive(record.owner_pid)
        return time.time() - record.heartbeat < STALE_AFTER_S

    def repair(self) -> list[tuple[Path, str]]:
        """Clean up after killed runs; returns files whose interrupted ingestion can finish."""
        resumable = []
        for record in self.store.manifest.records().values():
            if record.status == "committed" or self._owner_alive(record):
                continue
            self._purge(record)
            path = Path(record.path) if record.path else None
            if record.status == "pending" and path and path.is_file():
                try:
                    if content_id(path) == record.doc_id:
                        resumable.append((path, record.source))
                except OSError:
                    pass
        return resumable


def index_labels(labels: list[Label]) -> str:
    """What makes a picture findable by words when the encoder has no text tower."""
    return describe_labels([lb.name for lb in labels], [k.name for k in kinds(labels)])


def _chunk_meta(record: DocRecord, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": record.doc_id,
        "source": record.source,
        "chunk_index": chunk.index,
        "kind": "text",
        "ocr": chunk.ocr,
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.heading:
        meta["heading"] = chunk.heading
    return meta
