"""Text -> picture search when the image encoder has no text tower (the packaged
EfficientNet): each picture's labels, kinds of thing and text become a short caption that the
text embedding model reads, so "pagoda by a lake" can find a picture labelled "palace; a kind
of building" by meaning, not only by shared words."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from knowledge_base.types import Hit

LABELS_KEPT = 3
Encode = Callable[[list[str]], np.ndarray]


def describe_labels(labels: list[str], kinds: list[str]) -> str:
    """A picture's top labels and the kinds of thing they add up to: "king penguin, magpie,
    kite; a kind of bird, animal" (kinds name it when no single label is right)."""
    names = ", ".join(labels[:LABELS_KEPT])
    return f"{names}; a kind of {', '.join(kinds)}" if kinds else names


def caption(labels: str | None, text: str) -> str:
    words = f"A picture of {labels}." if labels else "A picture."
    return f"{words} {' '.join(text.split())}".strip()


class CaptionIndex:
    """Caption vectors of image items, computed once per item and kept while it exists."""

    def __init__(self, encode: Encode) -> None:
        self._encode = encode
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def rank(self, items: list[Hit], query: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The ``n`` items whose captions are most similar to the (unit) query vector."""
        if not items:
            return []
        with self._lock:
            missing = [it for it in items if it.id not in self._vectors]
            if missing:
                vectors = self._encode([caption(it.labels, it.text) for it in missing])
                self._vectors.update(zip((it.id for it in missing), vectors, strict=True))
            live = {it.id for it in items}
            for gone in [i for i in self._vectors if i not in live]:
                del self._vectors[gone]
            matrix = np.stack([self._vectors[it.id] for it in items])
        scores = matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
        order = np.argsort(-scores)[:n]
        return [(items[i].id, float(scores[i])) for i in order]
