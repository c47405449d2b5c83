"""Turning user-given paths into (file, source name) pairs, and cheap pre-checks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from knowledge_base.errors import RejectedFile

DOC_ID_CHARS = 16  # 64 bits of sha256: collisions are not a practical concern here


def expand(paths: Iterable[str | Path]) -> list[tuple[Path, str, bool]]:
    """Files to ingest as (path, source name, named explicitly). A file keeps its name; files
    found in a folder are named relative to it, so ``a/README.md`` and ``b/README.md`` differ."""
    found: list[tuple[Path, str, bool]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in rel.parts):
                    found.append((child, rel.as_posix(), False))
        else:
            found.append((path, path.name, True))
    return found


def content_id(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:DOC_ID_CHARS]


def check_size(path: Path, max_bytes: int) -> int:
    if not path.exists():
        raise RejectedFile("file not found")
    if not path.is_file():
        raise RejectedFile("not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile("empty file (0 bytes)")
    if size > max_bytes:
        raise RejectedFile(
            f"file is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB "
            "(VIRA_MAX_UPLOAD_MB)"
        )
    return size
