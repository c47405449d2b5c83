"""Packaged GGUF models: assembled from their parts once, and only with the pinned sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tools.gguf import PackagedGguf


def _parts(folder: Path) -> list[Path]:
    folder.mkdir()
    blocks = [bytes(range(256)) * 40_000, b"middle" * 3, b"\x00" * (5 << 20) + b"end"]
    paths = []
    for n, block in enumerate(blocks):
        paths.append(folder / f"part{n:02d}.bin")
        paths[-1].write_bytes(block)
    return paths


def _model(digest: str) -> PackagedGguf:
    return PackagedGguf("test model", "model.gguf", (), digest[:8], digest[-6:])


def test_parts_are_joined_in_order_and_checked(tmp_path, monkeypatch):
    parts = _parts(tmp_path / "parts")
    whole = b"".join(p.read_bytes() for p in parts)
    model = _model(hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(PackagedGguf, "part_files", lambda self: parts)
    path = model.assemble(tmp_path / "models")
    assert path.read_bytes() == whole
    assert list((tmp_path / "models").iterdir()) == [path]
    parts[0].write_bytes(b"changed")  # assembled once: the file is not built again
    assert model.assemble(tmp_path / "models").read_bytes() == whole


def test_parts_with_another_sha256_leave_no_model(tmp_path, monkeypatch):
    parts = _parts(tmp_path / "parts")
    model = _model(hashlib.sha256(b"something else").hexdigest())
    monkeypatch.setattr(PackagedGguf, "part_files", lambda self: parts)
    with pytest.raises(ValueError, match="sha256"):
        model.assemble(tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []
