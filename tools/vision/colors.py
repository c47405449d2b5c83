"""Dominant colours: Pillow's median-cut clustering of the pixels, named by hue.

Names come from hue, saturation and brightness (HSV), the way people name colours, not from
the nearest of a few reference colours: in photographs most colours are muted, and a muted
sky blue or a shaded orange petal lies nearer to a reference gray than to any reference hue
(issue 28: an orange dahlia read "gray", a purple aster "light gray")."""

from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image

from tools.vision.facts import ColorShare

MIN_SHARE = 0.05
GRAYS = frozenset(["white", "light gray", "gray", "dark gray", "black"])
#: Names of one hue in lighter and darker shades: a highlight on a red leaf reads "pink".
FAMILY = {"dark red": "red", "pink": "red", "brown": "orange", "tan": "orange",
          "beige": "orange", "olive": "yellow", "dark green": "green", "cyan": "teal",
          "navy": "blue", "light blue": "blue", "magenta": "purple"}  # fmt: skip
#: Below this chroma (max - min of r, g, b, 0..1) a colour reads as white, gray or black.
ACHROMATIC = 0.1
#: Below this share of the centre, colours rare along the edges are highlights or shadows of
#: a thing that fills the frame, not a separate object.
DISTINCT_OBJECT = 0.25


def _gray(value: float) -> str:
    if value > 0.9:
        return "white"
    if value > 0.7:
        return "light gray"
    if value > 0.45:
        return "gray"
    return "dark gray" if value > 0.22 else "black"


def _hue_name(hue: float, sat: float, value: float) -> str:
    """Hue in degrees; sat and value 0..1 (only for chromatic colours)."""
    pale, dark = sat < 0.45 and value > 0.7, value < 0.42
    if hue < 15 or hue >= 345:
        return "pink" if pale else "dark red" if dark else "red"
    if hue < 45:
        return ("tan" if sat > 0.3 else "beige") if pale else "brown" if value < 0.6 else "orange"
    if hue < 70:
        return "beige" if pale else ("olive" if hue > 55 else "brown") if dark else "yellow"
    if hue < 165:
        return "dark green" if dark else "olive" if hue < 90 and value < 0.6 else "green"
    if hue < 195:
        return "teal" if value < 0.6 else "cyan"
    if hue < 255:
        return "navy" if dark else "light blue" if pale else "blue"
    if hue < 290:
        return "purple"
    return "pink" if pale else "purple" if dark else "magenta"


def color_name(rgb: tuple[int, int, int]) -> str:
    r, g, b = (c / 255 for c in rgb)
    hue, sat, value = colorsys.rgb_to_hsv(r, g, b)
    if value < 0.12 or max(r, g, b) - min(r, g, b) < ACHROMATIC:
        return _gray(value)
    return _hue_name(hue * 360, sat, value)


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


def _named_shares(palette: np.ndarray, counts: np.ndarray, floor: float) -> list[ColorShare]:
    shares: dict[str, float] = {}
    representative: dict[str, tuple[int, int, int]] = {}
    total = counts.sum()
    for cluster in np.argsort(-counts):
        if counts[cluster] == 0:
            break
        rgb = tuple(int(v) for v in palette[cluster])
        name = color_name(rgb)  # type: ignore[arg-type]
        shares[name] = shares.get(name, 0.0) + counts[cluster] / total
        representative.setdefault(name, rgb)  # type: ignore[arg-type]
    ranked = sorted(shares.items(), key=lambda kv: kv[1], reverse=True)
    return [ColorShare(n, round(s, 3), representative[n]) for n, s in ranked if s >= floor]


def object_colors(image: Image.Image, clusters: int = 8) -> list[ColorShare]:
    """Colours of the main object: pixels near the centre whose colours the edges hardly have
    (the edges are mostly background). When there are few of them and they are only grays on
    a coloured centre, they are the highlights and shadows of one thing that fills the frame
    (a petal, a leaf), and its colours are the centre's own; likewise when nothing near the
    centre differs from the edges. Empty for an image of one flat colour."""
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
    whole = _named_shares(palette, np.bincount(centre.ravel(), minlength=len(palette)), 0.1)
    if foreground.size < 0.05 * centre.size:
        return [] if _flat(image) else whole
    found = _named_shares(palette, np.bincount(foreground, minlength=len(palette)), 0.1)
    plain_background = on_edge.max() >= 0.9
    if foreground.size >= DISTINCT_OBJECT * centre.size or plain_background:
        return found
    top = whole[0].name
    shade = FAMILY.get(top, top)
    highlights = top not in GRAYS and all(
        c.name in GRAYS or FAMILY.get(c.name, c.name) == shade for c in found
    )
    return whole if highlights else found


def _flat(image: Image.Image) -> bool:
    """One colour, every pixel: a plain background, not a thing."""
    extrema = image.convert("RGB").getextrema()
    return all(high - low <= 2 for low, high in extrema)
