"""OCR with the packaged RapidOCR 1.4.4 models (PP-OCRv4, ONNX), loaded on first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

# RapidOCR's own confidence; below this, lines are mostly noise on photos.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float
    box: tuple[tuple[float, float], ...]


class Ocr:
    """Thread-safe, lazily loaded OCR engine. ``ocr(image)`` returns the text in reading order."""

    def __init__(self) -> None:
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        from rapidocr_onnxruntime import RapidOCR

        return RapidOCR()

    def lines(self, image: Image.Image) -> list[OcrLine]:
        pixels = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR expects BGR like cv2
        with self._lock:
            if self._engine is None:
                self._engine = self._load()
            result, _ = self._engine(pixels)
        lines = [
            OcrLine(text, float(score), tuple((float(x), float(y)) for x, y in box))
            for box, text, score in (result or [])
            if float(score) >= MIN_CONFIDENCE and text.strip()
        ]
        # Reading order: top to bottom by line, then left to right.
        return sorted(lines, key=lambda ln: (round(ln.box[0][1] / 12), ln.box[0][0]))

    def __call__(self, image: Image.Image) -> str:
        return "\n".join(line.text for line in self.lines(image))
