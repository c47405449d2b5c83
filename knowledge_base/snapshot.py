"""What search sees: committed documents' items and their BM25 index, rebuilt on change."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from knowledge_base.retrieval import LexicalIndex
from knowledge_base.store import DocRecord, Store
from knowledge_base.types import Hit


@dataclass(frozen=True)
class Snapshot:
    generation: str
    records: dict[str, DocRecord]
    items: dict[str, Hit]
    lexical: LexicalIndex
    counts: Counter[str]

    @property
    def visible(self) -> set[str]:
        return {d for d, r in self.records.items() if r.status == "committed"}

    @property
    def hidden(self) -> list[str]:
        """Documents whose items may be in the store but must not be seen (yet, or any more)."""
        return sorted(d for d, r in self.records.items() if r.status != "committed")

    def count(self, kind: str) -> int:
        return self.counts[kind]


def build_snapshot(store: Store, previous: Snapshot | None = None) -> Snapshot:
    # Generation first: a change racing with this read only makes the next search rebuild.
    generation = store.manifest.generation()
    records = store.manifest.records()
    visible = {d for d, r in records.items() if r.status == "committed"}
    if previous is None:
        fetched = store.iter_items()
        items: dict[str, Hit] = {}
    else:
        items = {i: it for i, it in previous.items.items() if it.doc_id in visible}
        new_docs = visible - previous.visible
        fetched = store.iter_items(new_docs) if new_docs else iter(())
    for kind, item_id, text, meta in fetched:
        if meta.get("doc_id") in visible:
            items[item_id] = Hit.from_stored(item_id, kind, text or "", meta)  # type: ignore[arg-type]
    ordered = sorted(items.values(), key=lambda it: it.id)
    return Snapshot(
        generation,
        records,
        {it.id: it for it in ordered},
        LexicalIndex(ordered),
        Counter(it.kind for it in ordered),
    )
