"""The shared knowledge base and one user's own documents, read as one: listed together,
searched together (each ranks its own hits; the fused scores interleave them), every hit and
document marked private or not."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from knowledge_base.kb import KnowledgeBase, SearchMode
from knowledge_base.source_view import SourceView
from knowledge_base.types import DocumentInfo, Hit, Kind


class Shelves:
    def __init__(self, shared: KnowledgeBase, own: KnowledgeBase | None = None) -> None:
        self.shared, self.own = shared, own
        self.embedding = shared.embedding  # one text model for both: scores compare

    def _bases(self) -> list[KnowledgeBase]:
        return [self.shared, self.own] if self.own is not None else [self.shared]

    def list(self) -> list[DocumentInfo]:
        """Both shelves' documents, newest first."""
        docs = [d for kb in self._bases() for d in kb.list()]
        return sorted(docs, key=lambda d: d.ingested_at, reverse=True)

    def search(
        self, query: str, k: int = 5, kind: Kind | None = None, mode: SearchMode = "hybrid"
    ) -> list[Hit]:
        hits = [h for kb in self._bases() for h in kb.search(query, k, kind, mode)]
        return sorted(hits, key=lambda h: -h.score)[:k]

    def document_text(self, doc_id: str, limit: int = 20_000) -> str:
        for kb in self._bases():
            if text := kb.document_text(doc_id, limit):
                return text
        return ""

    def source_view(self, hit: Hit) -> SourceView:
        """A found passage where it sits in its document (see ``KnowledgeBase.source_view``)."""
        shelf = self.own if hit.private and self.own is not None else self.shared
        return shelf.source_view(hit)

    def search_by_image(self, image: Image.Image | Path | bytes, k: int = 5) -> list[Hit]:
        hits = [h for kb in self._bases() for h in kb.search_by_image(image, k)]
        return sorted(hits, key=lambda h: -h.score)[:k]
