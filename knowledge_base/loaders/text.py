"""Plain text, with a guard against binary files that only carry a text extension."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import LoadContext, LoadedDocument, Section

_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}
# Real text has almost no control characters; random bytes decoded as cp1252 have ~12 %.
_MAX_CONTROL_RATIO = 0.01


def decode_text(data: bytes) -> str:
    """Decode text bytes (UTF-8/UTF-16 with BOM, UTF-8, then cp1252) or reject binary data."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            break
    else:
        if b"\x00" in data[:65536]:
            raise RejectedFile("binary content, not text (contains NUL bytes)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    sample = text[:65536]
    controls = sum(
        1 for ch in sample if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc"
    )
    replaced = sample.count("\ufffd")
    if sample and (controls + replaced) / len(sample) > _MAX_CONTROL_RATIO:
        raise RejectedFile("binary content, not text (too many control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_text(path: Path, ctx: LoadContext) -> LoadedDocument:
    return LoadedDocument(sections=[Section(decode_text(path.read_bytes()))])
