"""The image encoder: safe decoding, a backend for vectors and labels, OCR, colours, cache."""

from __future__ import annotations

import hashlib
import io
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

    def encode(self, source: ImageSource) -> ImageFacts:
        return self.encode_many([source])[0]

    def encode_many(self, sources: list[ImageSource]) -> list[ImageFacts]:
        """Encode several images; the cache misses go through the backend as one batch.
        Raises ``UnreadableImage`` with a one-line reason for an unreadable or unsafe image."""
        read = [_read(s) for s in sources]
        found = {sha256: self.cache.get(sha256) for sha256, _ in read}
        missing = {sha256: data for sha256, data in read if found[sha256] is None}
        if missing:
            decoded = {
                sha256: data.convert("RGB") if isinstance(data, Image.Image) else open_image(data)
                for sha256, data in missing.items()
            }
            for facts in self._run(decoded):
                self.cache.put(facts)
                found[facts.sha256] = facts
        return [found[sha256] for sha256, _ in read]  # type: ignore[misc]

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
