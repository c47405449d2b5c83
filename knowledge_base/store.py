"""Chroma storage: the client (embedded or server), the collections, and the manifest.

The manifest is a Chroma collection with one record per document. Its record is the commit
point of an ingestion: chunks are written while the record says ``pending`` and become
visible only when one upsert flips it to ``committed``. Keeping it in Chroma (not a local
file) means the embedded store and a shared Chroma server behave the same.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from knowledge_base.errors import StoreUnavailable
from knowledge_base.settings import KnowledgeSettings

Status = Literal["pending", "committed", "deleting"]
GENERATION_ID = "__generation__"
_UNIT_VECTOR = [1.0]  # the manifest is looked up by id, never by similarity


def connect(settings: KnowledgeSettings) -> ClientAPI:
    chroma_settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
    if not settings.chroma_url:
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreUnavailable(f"VIRA_CHROMA_URL must look like http://host:8000, not {url!r}")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    except Exception as exc:
        raise StoreUnavailable(
            f"cannot reach the Chroma server at {settings.chroma_url}: {exc}"
        ) from None


def namespace(model_name: str) -> str:
    """Collection prefix per embedding model, so vectors of two models never share an index."""
    slug = re.sub(r"[^a-z0-9]+", "-", model_name.lower().split("/")[-1]).strip("-")[:40]
    digest = hashlib.sha256(model_name.encode()).hexdigest()[:6]
    return f"vira-{slug}-{digest}"


@dataclass
class DocRecord:
    doc_id: str
    source: str
    status: Status
    chunks: int = 0
    images: int = 0
    pages: int = 0
    size_bytes: int = 0
    ingested_at: float = 0.0
    path: str = ""  # where the file was read from: lets a later run finish a killed ingest
    owner_host: str = ""
    owner_pid: int = 0
    heartbeat: float = 0.0
    replaces: str = ""
    flagged: int = 0  # passages that address the assistant (knowledge_base.instructions)

    def to_metadata(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DocRecord:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in meta.items() if k in names})


class Manifest:
    """Document records plus a generation token that changes with every visible change."""

    def __init__(self, collection: Collection) -> None:
        self._col = collection

    def generation(self) -> str:
        got = self._col.get(ids=[GENERATION_ID], include=["metadatas"])
        return str(got["metadatas"][0]["value"]) if got["ids"] else ""

    def records(self) -> dict[str, DocRecord]:
        got = self._col.get(include=["metadatas"])
        return {
            i: DocRecord.from_metadata(m)
            for i, m in zip(got["ids"], got["metadatas"], strict=True)
            if i != GENERATION_ID
        }

    def write(self, *records: DocRecord, bump: bool = True) -> None:
        """Upsert records (and a new generation) in one call: one atomic write in Chroma."""
        ids = [r.doc_id for r in records]
        metas = [r.to_metadata() for r in records]
        if bump:
            ids.append(GENERATION_ID)
            metas.append({"value": uuid.uuid4().hex, "at": time.time()})
        self._col.upsert(
            ids=ids, metadatas=metas, documents=ids, embeddings=[_UNIT_VECTOR] * len(ids)
        )

    def remove(self, doc_id: str) -> None:
        self._col.delete(ids=[doc_id])
        self.write(bump=True)


class Store:
    """The three collections of one knowledge base."""

    def __init__(
        self, client: ClientAPI, embedding: Any, image_embedding: Any, scope: str = ""
    ) -> None:
        # One user's own documents live in collections of their own (``scope``), so no query
        # of anyone else's can reach them, whatever its filter.
        prefix = namespace(embedding.model_name) + (f"-{scope}" if scope else "")
        image_space = namespace(image_embedding.key)

        # Chroma rewrites the whole HNSW file every `sync_threshold` records: at its default
        # (1,000) filling 100k chunks wrote 7.8 GB. Records are safe in Chroma's log either way.
        def space() -> dict[str, Any]:  # a fresh dict per call: Chroma writes into it
            return {"hnsw": {"space": "cosine", "sync_threshold": 20_000, "batch_size": 1_000}}

        try:
            self.text = client.get_or_create_collection(
                f"{prefix}-text", embedding_function=embedding, configuration=space()
            )
            # Image items get their own collection, per image encoder, so image vectors never
            # mix with text vectors or with another encoder's.
            self.images = client.get_or_create_collection(
                f"{prefix}-img-{image_space.removeprefix('vira-')}",
                embedding_function=image_embedding,
                configuration=space(),
            )
            self.manifest = Manifest(
                client.get_or_create_collection(f"{prefix}-docs", embedding_function=None)
            )
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable(f"cannot open the Chroma collections: {exc}") from None
        self.batch_size = min(client.get_max_batch_size(), 256)
        self.client = client

    def drop(self) -> None:
        """Delete the three collections (a private shelf that expired)."""
        for col in (self.text, self.images, self.manifest._col):
            self.client.delete_collection(col.name)

    def collections(self) -> dict[str, Collection]:
        return {"text": self.text, "image": self.images}

    def delete_items(self, doc_id: str) -> None:
        for col in self.collections().values():
            col.delete(where={"doc_id": doc_id})

    def count_items(self, doc_id: str) -> int:
        return sum(
            len(col.get(where={"doc_id": doc_id}, include=[])["ids"])
            for col in self.collections().values()
        )

    def iter_items(
        self, doc_ids: set[str] | None = None, page: int = 5000
    ) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """Yield (kind, id, document, metadata) for stored items, optionally of some docs."""
        where = {"doc_id": {"$in": sorted(doc_ids)}} if doc_ids else None
        for kind, col in self.collections().items():
            offset = 0
            while True:
                got = col.get(
                    where=where, include=["documents", "metadatas"], limit=page, offset=offset
                )
                for item in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                    yield (kind, *item)
                if len(got["ids"]) < page:
                    break
                offset += page
