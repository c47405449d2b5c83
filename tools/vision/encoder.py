"""The image encoder: safe decoding, a backend for vectors and labels, OCR, colours, cache."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from knowledge_base.embeddings.image_backend import ImageBackend
from knowledge_base.loaders.image import open_image
from knowledge_base.ocr import Ocr
from tools.vision.cache import FactsCache
from tools.vision.colors import dominant_colors
from tools.vision.facts import ImageFacts, TextLine

ImageSource = str | Path | bytes | Image.Image
THUMBNAIL_SIDE = 256


def _read(source: ImageSource) -> tuple[str, bytes | Image.Image]:
    """(image id, what to decode). The id is the sha256 of the source bytes."""
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
        self.cache = FactsCache(cache_dir, f"{backend.key}+{ocr.key if ocr else 'no-ocr'}")
        self.top_k = top_k
        self.model_calls = 0  # images that went through the backend (cache misses)

    def encode(self, source: ImageSource) -> ImageFacts:
        return self.encode_many([source])[0]

    def encode_many(self, sources: list[ImageSource]) -> list[ImageFacts]:
        """Encode several images; the cache misses go through the backend as one batch.
        Raises ``RejectedFile`` with a one-line reason for an unreadable or unsafe image."""
        read = [_read(s) for s in sources]
        found = {image_id: self.cache.get(image_id) for image_id, _ in read}
        missing = {i: data for i, data in read if found[i] is None}
        if missing:
            decoded = {
                i: data.convert("RGB") if isinstance(data, Image.Image) else open_image(data)
                for i, data in missing.items()
            }
            for facts in self._run(decoded):
                self.cache.put(facts)
                found[facts.image_id] = facts
        return [found[image_id] for image_id, _ in read]  # type: ignore[misc]

    def _run(self, images: dict[str, Image.Image]) -> list[ImageFacts]:
        ids, pixels = list(images), list(images.values())
        vectors, labels = self.backend.embed_and_label(pixels, self.top_k)
        self.model_calls += len(pixels)
        return [
            ImageFacts(
                image_id=image_id,
                width=image.width,
                height=image.height,
                backend=self.backend.key,
                embedding=[round(float(v), 6) for v in vector],
                labels=image_labels,
                text=self._text(image),
                colors=dominant_colors(image),
                thumbnail_jpeg=_thumbnail(image),
            )
            for image_id, image, vector, image_labels in zip(
                ids, pixels, vectors, labels, strict=True
            )
        ]

    def _text(self, image: Image.Image) -> list[TextLine]:
        if self.ocr is None:
            return []
        return [TextLine(ln.text, round(ln.confidence, 4), ln.box) for ln in self.ocr.lines(image)]


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
