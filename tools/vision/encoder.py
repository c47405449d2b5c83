"""The image encoder: safe decoding, a backend for vectors and labels, OCR, colours, cache."""

from __future__ import annotations

import hashlib
import io
import threading
from concurrent.futures import Future
from pathlib import Path

from PIL import Image

from imaging import Ocr, TextLine, open_image
from knowledge_base.embeddings.image_backend import ImageBackend
from knowledge_base.embeddings.kinds import KIND_TOP_K, kinds
from tools.vision.batching import Coalescer
from tools.vision.cache import FactsCache
from tools.vision.colors import dominant_colors, object_colors
from tools.vision.facts import ImageFacts, readable
from tools.vision.image_kind import image_kind

ImageSource = str | Path | bytes | Image.Image
THUMBNAIL_SIDE = 256
# v3: colours named by hue, the kind of image (v2: kinds of thing): older facts encode again
FACTS_VERSION = "v3"


def _read(source: ImageSource) -> tuple[str, bytes | Image.Image]:
    """(sha256 of the source bytes, what to decode)."""
    if isinstance(source, Image.Image):
        raw = source.tobytes() + f"{source.mode}{source.size}".encode()
        return hashlib.sha256(raw).hexdigest(), source
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return hashlib.sha256(data).hexdigest(), data


class ImageEncoder:
    """``encode`` / ``encode_many`` give ``ImageFacts``; a cached image never hits a model."""

    def __init__(
        self,
        backend: ImageBackend,
        ocr: Ocr | None,
        cache_dir: Path | None,
        top_k: int = 5,
    ) -> None:
        self.backend = backend
        self.ocr = ocr
        # Facts depend on the OCR settings too: a change there must not serve stale text.
        key = f"{backend.key}+{ocr.key if ocr else 'no-ocr'}+{FACTS_VERSION}"
        self.cache = FactsCache(cache_dir, key)
        self.top_k = top_k
        self.model_calls = 0  # images that went through the backend (cache misses)
        # Several users' uploads at the same moment share one pass through the classifier.
        self.classify = Coalescer(self._classify)
        self._reading: dict[str, Future[ImageFacts]] = {}
        self._reading_lock = threading.Lock()

    def encode(self, source: ImageSource) -> ImageFacts:
        return self.encode_many([source])[0]

    def encode_many(self, sources: list[ImageSource]) -> list[ImageFacts]:
        """Encode several images; the cache misses go through the backend as one batch.
        Raises ``UnreadableImage`` with a one-line reason for an unreadable or unsafe image."""
        read = [_read(s) for s in sources]
        found = {sha256: self.cache.get(sha256) for sha256, _ in read}
        missing = {sha256: data for sha256, data in read if found[sha256] is None}
        if missing:
            found |= self._encode_missing(missing)
        return [found[sha256] for sha256, _ in read]  # type: ignore[misc]

    def _encode_missing(self, missing: dict[str, bytes | Image.Image]) -> dict[str, ImageFacts]:
        """A picture another thread is reading right now (read ahead while its question was
        typed, and then sent) is waited for, not read a second time."""
        with self._reading_lock:
            theirs = {sha: self._reading[sha] for sha in missing if sha in self._reading}
            mine = {sha: Future() for sha in missing if sha not in theirs}
            self._reading.update(mine)
        try:
            done = self._encode_mine(mine, missing)
        finally:
            with self._reading_lock:
                for sha in mine:
                    self._reading.pop(sha, None)
        return done | {sha: future.result() for sha, future in theirs.items()}

    def _encode_mine(
        self, mine: dict[str, Future], missing: dict[str, bytes | Image.Image]
    ) -> dict[str, ImageFacts]:
        done: dict[str, ImageFacts] = {}
        try:
            todo = {}
            for sha in mine:
                # Another thread may have finished it between the first lookup and the claim.
                if (cached := self.cache.get(sha)) is not None:
                    done[sha] = cached
                else:
                    data = missing[sha]
                    todo[sha] = (
                        data.convert("RGB") if isinstance(data, Image.Image) else open_image(data)
                    )
            for facts in self._run(todo) if todo else []:
                self.cache.put(facts)
                done[facts.sha256] = facts
        except BaseException as exc:
            for future in mine.values():
                future.set_exception(exc)
            raise
        for sha, future in mine.items():
            future.set_result(done[sha])
        return done

    def _run(self, images: dict[str, Image.Image]) -> list[ImageFacts]:
        ids, pixels = list(images), list(images.values())
        vectors, labels = zip(*self.classify(pixels), strict=True)
        return [
            ImageFacts(
                sha256=sha256,
                width=image.width,
                height=image.height,
                backend=self.backend.key,
                embedding=[round(float(v), 6) for v in vector],
                labels=image_labels[: self.top_k],
                kinds=kinds(image_labels),
                text=lines,
                colors=dominant_colors(image),
                object_colors=object_colors(image),
                image_kind=image_kind(image, readable(lines)),
                thumbnail_jpeg=_thumbnail(image),
            )
            for sha256, image, vector, image_labels, lines in zip(
                ids, pixels, vectors, labels, [self._text(p) for p in pixels], strict=True
            )
        ]

    def _classify(self, pixels: list[Image.Image]) -> list[tuple[list[float], list]]:
        vectors, labels = self.backend.embed_and_label(pixels, max(self.top_k, KIND_TOP_K))
        self.model_calls += len(pixels)
        return list(zip(vectors, labels, strict=True))

    def _text(self, image: Image.Image) -> list[TextLine]:
        return self.ocr.lines(image) if self.ocr else []


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
