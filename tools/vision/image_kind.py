"""What kind of image it is, when its pixels say so plainly: a document (mostly text), a
drawing or digital graphic (large areas of one flat colour), or probably a photograph
(texture everywhere, as a camera's sensor and the world leave it). Anything between is left
unsaid: a smooth gradient may be a wallpaper or a blurred sky.

Thresholds from photographs of the real-photo dev split against 45 drawn wallpapers of the same
Debian packages that are in no eval split (docs/measured/image_kind_dev.json): no photograph had
more than half its pixels flat, and a fifth of the textured drawings pass for photographs,
which is why that verdict says "probably"."""

from __future__ import annotations

import numpy as np
from PIL import Image

from imaging import TextLine

PHOTO, GRAPHIC, DOCUMENT = "photo", "graphic", "document"
FLAT_GRAPHIC = 0.6  # share of pixels with no local texture at all
FLAT_PHOTO, TEXTURE_PHOTO = 0.25, 3.0  # at most this flat, at least this median texture
TEXT_AREA = 0.1  # share of the image under text lines


def image_kind(image: Image.Image, text: list[TextLine]) -> str:
    """``photo``, ``graphic``, ``document`` or "" (not plain)."""
    small = image.convert("L")
    small.thumbnail((256, 256))
    g = np.asarray(small, dtype=np.float32)
    if min(g.shape) < 8:
        return ""
    laplace = np.abs(4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:])
    flat, texture = float((laplace < 1.0).mean()), float(np.median(laplace))
    if len(text) >= 3 and _text_area(text, image) >= TEXT_AREA:
        return DOCUMENT
    if flat >= FLAT_GRAPHIC:
        return GRAPHIC
    if flat <= FLAT_PHOTO and texture >= TEXTURE_PHOTO:
        return PHOTO
    return ""


def _text_area(text: list[TextLine], image: Image.Image) -> float:
    area = 0.0
    for line in text:
        xs, ys = [p[0] for p in line.box], [p[1] for p in line.box]
        area += (max(xs) - min(xs)) * (max(ys) - min(ys))
    return area / max(1, image.width * image.height)


#: How each kind reads in the facts, and in an answer to "is this a photo or a drawing?".
SAID = {
    PHOTO: "probably a photograph",
    GRAPHIC: "a drawing or digital graphic (large areas of flat colour)",
    DOCUMENT: "a document, scan or screenshot (mostly text)",
}
