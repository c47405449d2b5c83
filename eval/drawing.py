"""Pictures drawn for the tests and the benchmarks alike: rendered text as a screenshot or a
scan shows it."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)


def text_image(lines: list[str], size: int = 36, width: int = 1000) -> Image.Image:
    """Black text on white, one line per entry: what a screenshot or a scan looks like."""
    line_height = int(size * 1.6)
    img = Image.new("RGB", (width, line_height * len(lines) + 2 * size), "white")
    draw = ImageDraw.Draw(img)
    for n, line in enumerate(lines):
        draw.text((size, size + n * line_height), line, fill="black", font=font(size))
    return img
