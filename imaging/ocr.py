"""OCR with the packaged RapidOCR 1.4.4 models (PP-OCRv4, ONNX), loaded on first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

# RapidOCR's own confidence; below this, lines are mostly noise on photos.
MIN_CONFIDENCE = 0.5
# Looser boxes than RapidOCR's 1.6: with tight boxes the recogniser drops the spaces between
# words ("Totaldue431.50EUR"); 2.0 kept them on rendered text and on skimage's scanned page.
UNCLIP_RATIO = 2.5
# A white margin: without it the detector cuts lines that touch the edges into fragments
# ("revenue8", "88", "million"); with it the same lines come back whole.
MARGIN_FRACTION = 0.05


@dataclass(frozen=True)
class TextLine:
    """A line of text found in an image, with its confidence and its box (pixel corners)."""

    text: str
    confidence: float
    box: tuple[tuple[float, float], ...]


class Ocr:
    """Thread-safe, lazily loaded OCR engine. ``ocr(image)`` returns the text in reading order."""

    #: Changes whenever the settings above change what OCR returns (cache keys include it).
    key = f"rapidocr-1.4.4-unclip{UNCLIP_RATIO}-margin{MARGIN_FRACTION}"

    def __init__(self) -> None:
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        from rapidocr_onnxruntime import RapidOCR

        return RapidOCR()

    def lines(self, image: Image.Image) -> list[TextLine]:
        margin = max(32, int(MARGIN_FRACTION * max(image.size)))
        padded = ImageOps.expand(image.convert("RGB"), margin, fill="white")
        pixels = np.asarray(padded)[:, :, ::-1]  # RapidOCR expects BGR, like cv2
        with self._lock:
            if self._engine is None:
                self._engine = self._load()
            result, _ = self._engine(pixels, unclip_ratio=UNCLIP_RATIO)
        return [
            TextLine(
                text.strip(),
                round(float(score), 4),
                tuple((float(x) - margin, float(y) - margin) for x, y in box),
            )
            for box, text, score in (result or [])
            if float(score) >= MIN_CONFIDENCE and text.strip()
        ]

    def __call__(self, image: Image.Image) -> str:
        """The text in reading order: boxes on one visual line joined by spaces."""
        return text_of(self.lines(image))


def text_of(lines: list[TextLine]) -> str:
    """Lines found in an image as text in reading order."""
    return "\n".join(" ".join(b.text for b in row) for row in reading_order(lines))


def _span(line: TextLine) -> tuple[float, float]:
    ys = [y for _, y in line.box]
    return min(ys), max(ys)


def reading_order(lines: list[TextLine]) -> list[list[TextLine]]:
    """Group boxes into visual lines (vertical centres within half a box height), top to
    bottom, each left to right."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda ln: sum(_span(ln)) / 2):
        top, bottom = _span(line)
        centre = (top + bottom) / 2
        if rows:
            ref_top, ref_bottom = _span(rows[-1][0])
            if abs(centre - (ref_top + ref_bottom) / 2) <= (ref_bottom - ref_top) / 2:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda ln: min(x for x, _ in ln.box)) for row in rows]
