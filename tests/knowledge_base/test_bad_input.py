"""Bad files get a one-line reason, write nothing, and never stop a folder's ingestion."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from knowledge_base import FileStatus
from tests import factories


def _write(name: str, data: bytes):
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return build


def _truncated_png(tmp: Path) -> Path:
    path = tmp / "cut.png"
    factories.text_image(["hello"]).save(path)
    path.write_bytes(path.read_bytes()[:200])
    return path


def _bomb_png(tmp: Path) -> Path:
    path = tmp / "bomb.png"
    Image.new("1", (12_000, 12_000)).save(path)  # 144 MP of one colour: a few kB on disk
    return path


def _huge_png(tmp: Path) -> Path:
    path = tmp / "huge.png"
    Image.new("1", (8_000, 8_000)).save(path)  # 64 MP: under Pillow's guard, over ours
    return path


def _fake_docx(tmp: Path) -> Path:
    path = tmp / "fake.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "a zip, but not a Word document")
    return path


def _too_many_pages(tmp: Path) -> Path:
    return factories.many_page_pdf(tmp / "long.pdf", 12)


CASES = {
    "unsupported type": (_write("tool.exe", b"MZ\x90\x00" * 100), "unsupported file type '.exe'"),
    "no extension": (_write("README", b"hello"), "unsupported file type"),
    "corrupt pdf": (_write("bad.pdf", b"%PDF-1.7\n" + os.urandom(3000)), "not a valid PDF"),
    "text renamed pdf": (_write("notes.pdf", b"just some text " * 50), "not a valid PDF"),
    "encrypted pdf": (lambda tmp: factories.encrypted_pdf(tmp / "secret.pdf", tmp), "encrypted"),
    "zero bytes": (_write("empty.txt", b""), "empty file (0 bytes)"),
    "only whitespace": (_write("blank.md", b"  \n\n \t \n"), "no text or images found"),
    "binary junk as txt": (_write("junk.txt", bytes(range(256)) * 40), "binary content"),
    "junk without NUL": (_write("junk2.txt", bytes(range(1, 32)) * 300), "binary content"),
    "corrupt docx": (_write("broken.docx", os.urandom(4000)), "not a valid DOCX"),
    "zip that is not docx": (_fake_docx, "not a valid DOCX"),
    "truncated png": (_truncated_png, "not a readable image"),
    "image bytes renamed": (
        _write("photo.jpg", b"this is not a jpeg at all"),
        "not a readable image",
    ),
    "decompression bomb": (_bomb_png, "the limit is 50,000,000 pixels"),
    "huge dimensions": (_huge_png, "image is 8000x8000 pixels; the limit is 50,000,000"),
    "html without text": (_write("empty.html", b"<html><script>x()</script></html>"), "no visible"),
    "too many pages": (_too_many_pages, "PDF has 12 pages; the limit is 10"),
    "missing file": (lambda tmp: tmp / "nope.md", "file not found"),
}


def _assert_nothing_stored(kb) -> None:
    assert kb.list() == []
    assert kb.store.text.count() == 0
    assert kb.store.images.count() == 0
    assert kb.store.manifest.records() == {}
    assert not (kb.settings.data_dir / "kb_images").exists() or not any(
        (kb.settings.data_dir / "kb_images").iterdir()
    )


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_rejected_with_one_line_reason(case, make_kb, tmp_path):
    build, expected = CASES[case]
    kb = make_kb(max_pages=10)
    path = build(tmp_path)
    report = kb.ingest([path])
    (file,) = report.files
    assert file.status == FileStatus.FAILED, file
    assert expected in file.reason
    assert "\n" not in file.reason and len(file.reason) < 300
    assert not report.ok
    _assert_nothing_stored(kb)


def test_file_over_the_size_limit(make_kb, tmp_path):
    kb = make_kb(max_upload_mb=0.01)
    path = tmp_path / "big.txt"
    path.write_text("word " * 5000)  # 25 kB > 10 kB
    (file,) = kb.ingest([path]).files
    assert file.status == FileStatus.FAILED
    assert "the limit is 0 MB (VIRA_MAX_UPLOAD_MB)" in file.reason
    _assert_nothing_stored(kb)


def test_folder_continues_past_bad_files_and_reports_each(kb, tmp_path):
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.md").write_text("# Ferns\n\nFerns like shade and moist soil.")
    (folder / "sub" / "good.txt").write_text("Basil needs full sun.")
    (folder / "junk.txt").write_bytes(os.urandom(2000) + b"\x00")
    (folder / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    (folder / "script.py").write_text("print('not a document type we index')")
    (folder / ".hidden.md").write_text("# never indexed")
    seen = []
    report = kb.ingest([folder], progress=lambda ev: seen.append((ev.stage, Path(ev.path).name)))
    status = {f.source: f.status for f in report.files}
    assert status == {
        "bad.pdf": FileStatus.FAILED,
        "good.md": FileStatus.ADDED,
        "junk.txt": FileStatus.FAILED,
        "script.py": FileStatus.SKIPPED,
        "sub/good.txt": FileStatus.ADDED,
    }
    assert {d.source for d in kb.list()} == {"good.md", "sub/good.txt"}
    assert ("done", "junk.txt") in seen and ("stored", "good.md") in seen
    assert kb.search("which plant wants shade", k=1)[0].source == "good.md"
