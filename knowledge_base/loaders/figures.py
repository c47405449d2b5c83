"""Figures on a PDF page: the caption that names a figure ("Figure 3: Wiring diagram of the
pump controller") or, without one, the page's sentences that refer to a figure; and figures
drawn as vector graphics (charts and diagrams exported from office tools and plotting
libraries), found as regions dense with drawn paths and rendered as pictures."""

from __future__ import annotations

import re
from collections.abc import Callable

Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF points

CAPTION = re.compile(
    r"^\s*(?:fig(?:ure)?\.?|diagram|chart|graph|plate|illustration|photo)\s*(\d+[a-z]?)\b", re.I
)
REFERS = re.compile(
    r"\b(?:fig(?:ure)?\.?\s*\d+|diagram|chart|graph|illustration|photo(?:graph)?|"
    r"shown (?:below|above)|(?:below|above) shows)\b",
    re.I,
)
CAPTION_GAP = 60.0  # points: a caption starts within this of its figure's edge
CAPTION_CHARS = 300
REFERRING_SENTENCES = 2
# A vector figure: at least this many drawn paths, together at least this share of the page
# and an inch a side (rules under headings and table borders are fewer, thinner or smaller).
MIN_PATHS = 6
MIN_AREA_SHARE = 0.04
MIN_SIDE = 72.0
JOIN_GAP = 18.0  # paths closer than this belong to one figure


def caption_near(box: Box, text_in: Callable[..., str], page_text: str, width: float) -> str:
    """The caption just below or above ``box`` (``text_in(left, bottom, right, top)`` reads
    the page's text layer there, across the page's ``width``: a caption may start left of
    its figure), with the page's sentences that cite its number; without a caption, the
    page's sentences that refer to a figure."""
    _, bottom, _, top = box
    bands = (
        text_in(0, bottom - CAPTION_GAP, width, bottom),  # below: nearest line first
        text_in(0, top, width, top + CAPTION_GAP),
    )
    for band in bands:
        found = _caption_in(band)
        if found:
            number = CAPTION.match(found)[1]
            cites = re.compile(rf"\bfig(?:ure)?\.?\s*{re.escape(number)}\b", re.I)
            more = [s for s in _sentences(page_text) if cites.search(s) and s not in found]
            return " ".join([found, *more[:REFERRING_SENTENCES]])[: CAPTION_CHARS * 2]
    referring = [s for s in _sentences(page_text) if REFERS.search(s)]
    return " ".join(referring[:REFERRING_SENTENCES])[:CAPTION_CHARS]


def _caption_in(band: str) -> str:
    lines = [line.strip() for line in band.replace("\r", "").split("\n")]
    for n, line in enumerate(lines):
        if CAPTION.match(line):
            words = [line]
            for more in lines[n + 1 :]:  # a caption may wrap onto the next lines
                if not more or CAPTION.match(more) or re.search(r"[.!?]$", words[-1]):
                    break
                words.append(more)
            return " ".join(words)[:CAPTION_CHARS]
    return ""


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", flat) if s.strip()]


def vector_regions(paths: list[Box], page_size: tuple[float, float], taken: list[Box]) -> list[Box]:
    """Regions of the page dense with drawn paths: each a vector figure. Regions that overlap
    an embedded picture (``taken``) are that picture's own frame or marks."""
    width, height = page_size
    groups: list[tuple[Box, int]] = []
    for box in sorted(paths, key=lambda b: (-b[3], b[0])):
        for n, (group, count) in enumerate(groups):
            if _near(group, box, JOIN_GAP):
                groups[n] = (_union(group, box), count + 1)
                break
        else:
            groups.append((box, 1))
    merged = _merge(groups)
    regions = []
    for box, count in merged:
        w, h = box[2] - box[0], box[3] - box[1]
        if count < MIN_PATHS or w < MIN_SIDE or h < MIN_SIDE:
            continue
        if w * h < MIN_AREA_SHARE * width * height or any(_near(box, t, 0) for t in taken):
            continue
        regions.append(_clip(box, width, height))
    return regions


def _merge(groups: list[tuple[Box, int]]) -> list[tuple[Box, int]]:
    """Join groups that came to touch as they grew."""
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if _near(groups[i][0], groups[j][0], JOIN_GAP):
                    box = _union(groups[i][0], groups[j][0])
                    groups[i] = (box, groups[i][1] + groups[j][1])
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


def _near(a: Box, b: Box, gap: float) -> bool:
    return not (a[2] + gap < b[0] or b[2] + gap < a[0] or a[3] + gap < b[1] or b[3] + gap < a[1])


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _clip(box: Box, width: float, height: float) -> Box:
    pad = 6.0
    return (
        max(0.0, box[0] - pad),
        max(0.0, box[1] - pad),
        min(width, box[2] + pad),
        min(height, box[3] + pad),
    )
