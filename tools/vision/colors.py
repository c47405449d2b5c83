"""Dominant colours: Pillow's median-cut clustering of the pixels, named in CIELAB."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tools.vision.facts import ColorShare

# Basic colour terms (Berlin & Kay) plus a few everyday ones people ask about.
NAMED = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (128, 128, 128),
    "dark gray": (64, 64, 64),
    "light gray": (192, 192, 192),
    "red": (200, 30, 30),
    "dark red": (120, 10, 10),
    "orange": (240, 140, 20),
    "brown": (120, 75, 35),
    "beige": (220, 200, 160),
    "tan": (190, 150, 110),
    "yellow": (240, 220, 30),
    "olive": (128, 128, 0),
    "green": (40, 160, 40),
    "dark green": (10, 80, 20),
    "teal": (0, 128, 128),
    "cyan": (40, 200, 220),
    "blue": (30, 80, 220),
    "navy": (10, 20, 100),
    "light blue": (150, 190, 240),
    "purple": (120, 40, 160),
    "pink": (240, 150, 180),
    "magenta": (220, 40, 180),
}
MIN_SHARE = 0.05


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (0-255) to CIELAB (D65)."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = c @ np.array(
        [[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]]
    )
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


_NAMES = list(NAMED)
_NAMED_LAB = _lab(np.array(list(NAMED.values())))


def color_name(rgb: tuple[int, int, int]) -> str:
    distance = np.linalg.norm(_NAMED_LAB - _lab(np.array(rgb)), axis=-1)
    return _NAMES[int(distance.argmin())]


def _clustered(image: Image.Image, clusters: int) -> Image.Image:
    """The image at most 96 pixels a side, its pixels in ``clusters`` median-cut colours."""
    small = image.convert("RGB")
    small.thumbnail((96, 96))
    return small.quantize(colors=clusters, method=Image.Quantize.MEDIANCUT)


def dominant_colors(image: Image.Image, clusters: int = 6) -> list[ColorShare]:
    quantized = _clustered(image, clusters)
    palette = quantized.getpalette() or []
    counts = quantized.getcolors() or []
    total = sum(count for count, _ in counts)
    shares: dict[str, float] = {}
    representative: dict[str, tuple[int, int, int]] = {}
    for count, index in sorted(counts, reverse=True):
        rgb: tuple[int, int, int] = tuple(palette[3 * index : 3 * index + 3])  # type: ignore[assignment]
        name = color_name(rgb)
        shares[name] = shares.get(name, 0.0) + count / total
        representative.setdefault(name, rgb)  # the largest cluster speaks for its name
    ranked = sorted(shares.items(), key=lambda kv: kv[1], reverse=True)
    return [ColorShare(n, round(s, 3), representative[n]) for n, s in ranked if s >= MIN_SHARE]


def object_colors(image: Image.Image, clusters: int = 8) -> list[ColorShare]:
    """Colours of the main object: pixels near the centre whose colour cluster is rare along
    the image's edges (the edges are mostly background). Empty when nothing stands out."""
    quantized = _clustered(image, clusters)
    index = np.asarray(quantized)
    palette = np.array(quantized.getpalette()[: 3 * clusters]).reshape(-1, 3)
    h, w = index.shape
    ring = max(1, round(min(h, w) * 0.08))
    edge = np.ones_like(index, dtype=bool)
    edge[ring:-ring, ring:-ring] = False
    on_edge = np.bincount(index[edge], minlength=len(palette)) / max(1, edge.sum())
    centre = index[h // 5 : h - h // 5, w // 5 : w - w // 5]
    foreground = centre[on_edge[centre] < 0.08]  # clusters the edges hardly have
    if foreground.size < 0.05 * centre.size:
        return []
    shares: dict[str, float] = {}
    representative: dict[str, tuple[int, int, int]] = {}
    counts = np.bincount(foreground, minlength=len(palette))
    for cluster in np.argsort(-counts):
        if counts[cluster] == 0:
            break
        rgb = tuple(int(v) for v in palette[cluster])
        name = color_name(rgb)  # type: ignore[arg-type]
        shares[name] = shares.get(name, 0.0) + counts[cluster] / foreground.size
        representative.setdefault(name, rgb)  # type: ignore[arg-type]
    ranked = sorted(shares.items(), key=lambda kv: kv[1], reverse=True)
    return [ColorShare(n, round(s, 3), representative[n]) for n, s in ranked if s >= 0.1]
