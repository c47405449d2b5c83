"""What every loader returns, and the limits every loader enforces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image

from imaging.ocr import TextLine
from knowledge_base.errors import RejectedFile

OcrFn = Callable[[Image.Image], str]
OcrLinesFn = Callable[[Image.Image], list[TextLine]]
#: A line of a scanned page and its box, as fractions of the page (left, top, right, bottom).
PageLine = tuple[str, tuple[float, float, float, float]]


@dataclass(frozen=True)
class Section:
    """A run of text that shares a page and a heading path."""

    text: str
    page: int | None = None
    heading: str | None = None
    ocr: bool = False


@dataclass
class ImageItem:
    """An image found in a document (or the document itself), with its OCR text."""

    image: Image.Image
    text: str
    page: int | None = None
    #: The document's words about it: its caption, or the sentences nearby that refer to it.
    caption: str = ""

    @property
    def searchable(self) -> str:
        """What search reads of it: the caption, then the words printed in it."""
        return "\n".join(part for part in (self.caption, self.text) if part)


@dataclass
class LoadedDocument:
    sections: list[Section] = field(default_factory=list)
    images: list[ImageItem] = field(default_factory=list)
    pages: int | None = None
    #: Where each line of a scanned page's OCR text sits, by page: to show a cited passage.
    page_lines: dict[int, list[PageLine]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not any(s.text.strip() for s in self.sections) and not self.images


@dataclass(frozen=True)
class LoadContext:
    """Limits and helpers a loader needs; built once per ingest from the settings."""

    max_pages: int
    ocr: OcrFn | None
    #: The OCR's lines with their boxes, for scanned pages; without it they are read as text.
    ocr_lines: OcrLinesFn | None = None
    max_images: int = 64
    min_image_side: int = 48


class Loader(Protocol):
    def __call__(self, path: Path, ctx: LoadContext) -> LoadedDocument: ...


def require_magic(path: Path, magic: bytes, what: str, within: int = 0) -> None:
    """Reject a file whose first bytes are not the format's signature."""
    with path.open("rb") as fh:
        head = fh.read(within + len(magic) + 1024 if within else len(magic))
    found = head.find(magic) if within else (0 if head.startswith(magic) else -1)
    if found < 0 or found > within:
        raise RejectedFile(f"not a valid {what} file (corrupt or wrong extension)")
