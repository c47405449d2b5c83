"""Safe image decoding for every image Vira reads: chat photos, documents and their figures."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# Decompression bombs: refuse anything above ~50 megapixels (a 8K photo is 33 MP).
MAX_PIXELS = 50_000_000


class UnreadableImage(ValueError):
    """An image that cannot or must not be decoded; ``str(err)`` is one line fit for a user."""


def open_image(source: Path | bytes) -> Image.Image:
    """Open, verify and normalise an image to RGB (first frame, EXIF orientation applied).
    Raises ``UnreadableImage`` with a one-line reason."""

    def fresh() -> Path | io.BytesIO:  # verify() consumes a stream: reopen for the load
        return io.BytesIO(source) if isinstance(source, bytes) else source

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fresh()) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise UnreadableImage(
                        f"image is {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels "
                        "(possible decompression bomb)"
                    )
                probe.verify()
            with Image.open(fresh()) as img:
                img.seek(0)
                img.load()
                return to_rgb(ImageOps.exif_transpose(img))
    except UnreadableImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard fires before the size can be read.
        raise UnreadableImage(
            f"image has too many pixels; the limit is {MAX_PIXELS:,} pixels "
            "(possible decompression bomb)"
        ) from None
    except UnidentifiedImageError:
        raise UnreadableImage("not a readable image (unknown format, or not an image)") from None
    except Exception as exc:  # Pillow raises many types for bad bytes
        detail = re.sub(r"<[^<>]* at 0x[0-9a-f]+>", "the file", str(exc))[:200]
        raise UnreadableImage(f"not a readable image (corrupt or truncated): {detail}") from None


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB pixels of any mode: 16-bit scaled to 8, transparency flattened onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.point(lambda v: v / 256).convert("L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        background = Image.new("RGB", img.size, "white")
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")
