"""Image facts cached by content hash, in memory and on disk: an image is encoded once, across
turns and restarts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from tools.vision.facts import ImageFacts


class FactsCache:
    def __init__(self, folder: Path | None, backend_key: str, capacity: int = 512) -> None:
        # Readable start, and a hash of the whole key so that long keys stay distinct.
        digest = hashlib.sha256(backend_key.encode()).hexdigest()[:12]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", backend_key)[:60] + "-" + digest
        self.folder = folder / slug if folder else None
        self.capacity = capacity
        self._memory: OrderedDict[str, ImageFacts] = OrderedDict()
        self._lock = threading.Lock()

    def _paths(self, sha256: str) -> tuple[Path, Path]:
        assert self.folder is not None
        base = self.folder / sha256[:2] / sha256
        return base.with_suffix(".json"), base.with_suffix(".jpg")

    def get(self, sha256: str) -> ImageFacts | None:
        with self._lock:
            if sha256 in self._memory:
                self._memory.move_to_end(sha256)
                return self._memory[sha256]
        if self.folder is None:
            return None
        meta, thumb = self._paths(sha256)
        try:
            facts = ImageFacts.from_json(
                json.loads(meta.read_text()), thumb.read_bytes() if thumb.exists() else b""
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged entry: encode again
        self._remember(facts)
        return facts

    def put(self, facts: ImageFacts) -> None:
        self._remember(facts)
        if self.folder is None:
            return
        meta, thumb = self._paths(facts.sha256)
        meta.parent.mkdir(parents=True, exist_ok=True)
        thumb.write_bytes(facts.thumbnail_jpeg)
        # Write-then-rename: a crash never leaves a half-written entry that parses.
        tmp = meta.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(facts.to_json()))
        tmp.replace(meta)

    def _remember(self, facts: ImageFacts) -> None:
        with self._lock:
            self._memory[facts.sha256] = facts
            self._memory.move_to_end(facts.sha256)
            while len(self._memory) > self.capacity:
                self._memory.popitem(last=False)
