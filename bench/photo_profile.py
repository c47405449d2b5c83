"""Where a new photo's time goes before the answer starts: each stage of reading a picture
(decoding, classification, OCR detection, angle and recognition, colours, kind of image,
thumbnail), then a whole first turn's time to first token beside it.

    .venv/bin/python bench/photo_profile.py [--photos 12]

Real photos of ``eval/photos`` (dev split), each read once with nothing cached. Prints JSON:
per-stage medians in milliseconds and their share of the reading, and the median time to
first token of a first question about each photo (retrieval, prompt and prefill are the rest).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant import Assistant, Settings  # noqa: E402
from imaging import open_image  # noqa: E402
from imaging.ocr import MARGIN_FRACTION, UNCLIP_RATIO  # noqa: E402
from knowledge_base.embeddings.kinds import KIND_TOP_K  # noqa: E402
from tools.vision.colors import dominant_colors, object_colors  # noqa: E402
from tools.vision.encoder import _thumbnail  # noqa: E402
from tools.vision.image_kind import image_kind  # noqa: E402

PHOTOS = ROOT / "eval" / "photos"


def dev_photos(count: int) -> list[Path]:
    names: list[str] = []
    for line in (PHOTOS / "dev.jsonl").read_text().splitlines():
        for turn in json.loads(line)["turns"]:
            names += [i for i in turn.get("images", []) if i not in names]
    return [PHOTOS / name for name in names[:count]]


def stages(assistant: Assistant, path: Path) -> dict[str, float]:
    """Milliseconds of each stage of reading one picture, as the encoder runs them."""
    encoder = assistant.encoder
    timings: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        timings[name] = (time.perf_counter() - start) * 1000
        return result

    data = path.read_bytes()
    image = timed("decode", lambda: open_image(data))
    timed("classify", lambda: encoder.backend.embed_and_label([image], KIND_TOP_K))
    engine = encoder.ocr._engine or encoder.ocr._load()
    encoder.ocr._engine = engine
    margin = max(32, int(MARGIN_FRACTION * max(image.size)))
    pixels = np.asarray(ImageOps.expand(image, margin, fill="white"))[:, :, ::-1]
    start = time.perf_counter()
    _, elapse = engine(pixels, unclip_ratio=UNCLIP_RATIO)
    total = (time.perf_counter() - start) * 1000
    det, cls, rec = (float(e) * 1000 for e in (elapse or [total / 1000, 0, 0]))
    timings |= {"ocr_detect": det, "ocr_angle": cls, "ocr_recognise": rec}
    timings["ocr_other"] = max(0.0, total - det - cls - rec)
    timed("colours", lambda: (dominant_colors(image), object_colors(image)))
    timed("image_kind", lambda: image_kind(image, []))
    timed("thumbnail", lambda: _thumbnail(image))
    return timings


def first_turn(assistant: Assistant, path: Path, n: int) -> dict[str, float]:
    """A first question about a new photo: seconds until each tool's result, and until the
    first token (after the last tool: building the prompt and the engine's prefill)."""
    session = assistant.session(f"profile-{n}")
    start = time.perf_counter()
    marks: dict[str, float] = {}
    for event in session.ask("What is in this picture?", images=[path]):
        now = time.perf_counter() - start
        if event.kind == "tool_result" and event.tool:
            marks[event.tool] = now
        if event.kind == "token":
            marks.setdefault("first_token", now)  # read on: the engine reports at the end
    marks.setdefault("first_token", time.perf_counter() - start)
    marks["after_tools"] = marks["first_token"] - max(
        (v for k, v in marks.items() if k != "first_token"), default=0.0
    )
    return marks


class _Prefills(logging.Handler):
    """The prompt tokens and prefill time llama-server reports for each request."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=12)
    args = parser.parse_args()
    prefills = _Prefills()
    served = logging.getLogger("tools.answering.backends.openai_compat")
    served.setLevel(logging.DEBUG)
    served.addHandler(prefills)
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(Settings(data_dir=Path(tmp)))
        assistant.warm_up().join()
        photos = dev_photos(args.photos)
        stages(assistant, photos[0])  # the first call of each model pays for its set-up
        runs = [stages(assistant, p) for p in photos]
        prefills.seen.clear()
        turns = [first_turn(assistant, p, n) for n, p in enumerate(photos)]
    ttft = [t["first_token"] for t in turns]
    steps = sorted({k for t in turns for k in t})
    turn_s = {k: round(statistics.median(t[k] for t in turns if k in t), 3) for k in steps}
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    reading = sum(medians.values())
    print(json.dumps({
        "photos": len(photos),
        "stage_ms": {k: round(v, 1) for k, v in medians.items()},
        "share_of_reading": {k: round(v / reading, 3) for k, v in medians.items()},
        "reading_ms": round(reading, 1),
        "first_token_s_median": round(statistics.median(ttft), 3),
        "turn_s_median": turn_s,
        "engine": prefills.seen,
        "first_token_s": [round(t, 3) for t in ttft],
        "turns_s": [{k: round(v, 3) for k, v in t.items()} for t in turns],
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
