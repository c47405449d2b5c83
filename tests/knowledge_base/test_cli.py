"""`python -m knowledge_base` as users run it: reports, --json, exit codes, a progress bar."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from knowledge_base.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "volcano.md").write_text("# Volcanoes\n\nMount Etna erupted in 2021 and 2023.")
    (folder / "tea.txt").write_text("Green tea should steep for two minutes at 80 degrees.")
    (folder / "junk.txt").write_bytes(os.urandom(1000) + b"\x00")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.5 nothing else")
    return folder


def test_ingest_folder_reports_each_file_and_fails_on_bad_ones(mixed_folder, capsys):
    assert main(["ingest", str(mixed_folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "added     tea.txt: 1 chunk, 0 images" in out
    assert any(line.startswith("failed    junk.txt: binary content") for line in out)
    assert any(line.startswith("failed    broken.pdf: not a valid PDF") for line in out)
    assert out[-1] == "4 files: 2 added, 2 failed; 2 chunks added"


def test_json_output_search_list_delete(mixed_folder, capsys):
    main(["--json", "ingest", str(mixed_folder / "volcano.md"), str(mixed_folder / "tea.txt")])
    report = json.loads(capsys.readouterr().out)
    assert report["chunks_added"] == 2 and report["errors"] == 0

    assert main(["search", "how long to brew green tea", "-k", "1", "--json"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert hit["source"] == "tea.txt" and "two minutes" in hit["text"]

    assert main(["search", "Etna eruptions"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] volcano.md › Volcanoes (text, score")
    assert "Mount Etna erupted in 2021" in out

    assert main(["list", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert {d["source"] for d in docs} == {"volcano.md", "tea.txt"}

    tea = next(d for d in docs if d["source"] == "tea.txt")
    assert main(["delete", tea["doc_id"]]) == 0
    assert capsys.readouterr().out.startswith(f"deleted {tea['doc_id']} tea.txt")
    assert main(["list"]) == 0
    assert "tea.txt" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "  "], "error: the query is empty"),
        (["delete", "ffffffff"], "error: no document with id 'ffffffff'"),
        (["ingest", "/no/such/file.md"], None),
    ],
)
def test_failures_exit_non_zero_with_one_line(argv, message, capsys):
    assert main(argv) != 0
    captured = capsys.readouterr()
    if message:
        assert captured.err.strip() == message
    else:
        assert "failed    file.md: file not found" in captured.out


def test_progress_bar_on_a_terminal(mixed_folder):
    """Run the real module under a pseudo-terminal: the bar is drawn on stderr."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "knowledge_base", "ingest", str(mixed_folder)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=ROOT,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    screen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 1
    assert "4/4" in screen and "100%" in screen and "file/s" in screen
    assert "added     volcano.md" in screen


def test_no_progress_bar_when_piped(mixed_folder):
    done = subprocess.run(
        [sys.executable, "-m", "knowledge_base", "ingest", str(mixed_folder / "tea.txt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0
    assert "%" not in done.stderr
    assert done.stdout.splitlines()[0] == "added     tea.txt: 1 chunk, 0 images"
