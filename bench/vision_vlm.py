"""Vision and answering benchmark (offline default), ratios against baselines in the same run.

    .venv/bin/python bench/vision_vlm.py

1. Image encoding: a cold encode (EfficientNet + OCR + colours) against a cache hit, and the
   throughput of one batch of 16 images against 16 single encodes.
2. The composed VLM (served by llama-server) on this machine: time to first token and
   tokens/s for a first question about an image, then for a follow-up on the same image
   (ratio), and this process's peak RSS.
"""

from __future__ import annotations

import io
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imaging import Ocr  # noqa: E402
from knowledge_base.embeddings import create_image_backend  # noqa: E402
from tools.answering.backends.base import AnswerBackend  # noqa: E402
from tools.answering.prompt import AnswerRequest, ImageRef, Turn  # noqa: E402
from tools.answering.registry import create_vlm  # noqa: E402
from tools.settings import ToolSettings  # noqa: E402
from tools.vision import ImageEncoder  # noqa: E402

PHOTOS = ["chelsea", "coffee", "astronaut", "rocket"]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def variants(n: int) -> list[bytes]:
    """n distinct real photos: the skimage ones, slightly cropped so each hashes differently."""
    photos = [Image.fromarray(getattr(data, name)()).convert("RGB") for name in PHOTOS]
    return [png(photos[i % 4].crop((i, 0, photos[i % 4].width - i, photos[i % 4].height)))
            for i in range(n)]  # fmt: skip


def bench_encoder(work: Path) -> dict:
    backend, ocr = create_image_backend("packaged"), Ocr()
    ImageEncoder(backend, ocr, None).encode(png(Image.new("RGB", (64, 64))))  # load models
    images = variants(36)
    encoder = ImageEncoder(backend, ocr, work / "cache")
    cold = []
    for image in images[:4]:
        start = time.perf_counter()
        encoder.encode(image)
        cold.append(time.perf_counter() - start)
    hits = []
    for image in images[:4] * 25:
        start = time.perf_counter()
        encoder.encode(image)
        hits.append(time.perf_counter() - start)
    singles = ImageEncoder(backend, ocr, None)
    start = time.perf_counter()
    for image in images[4:20]:
        singles.encode(image)
    single_s = time.perf_counter() - start
    batched = ImageEncoder(backend, ocr, None)
    start = time.perf_counter()
    batched.encode_many(images[20:36])
    batch_s = time.perf_counter() - start
    return {
        "cold_ms": statistics.median(cold) * 1000,
        "cached_ms": statistics.median(hits) * 1000,
        "cold_over_cached": statistics.median(cold) / statistics.median(hits),
        "single_images_per_s": 16 / single_s,
        "batch16_images_per_s": 16 / batch_s,
        "batch_speedup": single_s / batch_s,
    }


def _timed(backend: AnswerBackend, request: AnswerRequest) -> dict:
    start = time.perf_counter()
    first, pieces = None, []
    for piece in backend.stream(request):
        first = first or time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    assert first is not None
    return {
        "ttft_s": first - start,
        "tokens": len(pieces),
        "tokens_per_s": (len(pieces) - 1) / (end - first) if len(pieces) > 1 else 0.0,
        "answer": "".join(pieces).strip(),
    }


def bench_vlm(work: Path) -> dict:
    encoder = ImageEncoder(create_image_backend("packaged"), Ocr(), None)
    backend = create_vlm(ToolSettings(data_dir=work))  # the default: llama-server
    load_start = time.perf_counter()
    list(backend.stream(AnswerRequest("Say hello.")))  # load the model, outside the timings
    load_s = time.perf_counter() - load_start
    cat = Image.fromarray(data.chelsea())
    ref = ImageRef("img-1", encoder.encode(png(cat)), cat)
    first = _timed(backend, AnswerRequest("What animal is this?", [ref]))
    history = [Turn("user", "What animal is this?"), Turn("assistant", first["answer"])]
    follow = _timed(backend, AnswerRequest("What colour is it?", [ref], history=history))
    return {
        "load_and_warm_s": load_s,
        "first": first,
        "follow_up": follow,
        "ttft_first_over_follow_up": first["ttft_s"] / follow["ttft_s"],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        enc = bench_encoder(work)
        print(
            f"image encode: cold {enc['cold_ms']:.0f} ms, cached {enc['cached_ms']:.3f} ms -> "
            f"{enc['cold_over_cached']:.0f}x; 16 singles {enc['single_images_per_s']:.2f} img/s, "
            f"one batch of 16 {enc['batch16_images_per_s']:.2f} img/s -> "
            f"{enc['batch_speedup']:.2f}x",
            flush=True,
        )
        vlm = bench_vlm(work)
        for name in ("first", "follow_up"):
            r = vlm[name]
            print(
                f"composed VLM {name}: time to first token {r['ttft_s']:.2f} s, "
                f"{r['tokens_per_s']:.1f} tokens/s over {r['tokens']} tokens: {r['answer']!r}"
            )
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"first / follow-up time to first token: {vlm['ttft_first_over_follow_up']:.2f}x; "
            f"model load + warm-up {vlm['load_and_warm_s']:.1f} s; peak RSS {rss_mb:.0f} MB"
        )
    out = ROOT / "bench" / "results" / "vision_vlm.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"encoder": enc, "vlm": vlm, "peak_rss_mb": rss_mb}, indent=2))


if __name__ == "__main__":
    main()
