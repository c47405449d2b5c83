"""`python app.py` with no configuration starts the app, and serves nothing outside it."""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.servers import free_port, running

ROOT = Path(__file__).resolve().parents[1]


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.slow
def test_app_starts_with_no_configuration_and_blocks_file_access(tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("VIRA_PORT", str(port))
    monkeypatch.chdir(ROOT)
    url = f"http://127.0.0.1:{port}"
    assert os.environ["VIRA_DATA_DIR"].startswith(str(tmp_path.parent.parent))
    with running([sys.executable, "app.py"], url, tmp_path / "app.log", timeout_s=120) as app:
        assert _status(url) == 200
        secret = tmp_path / "secret.txt"
        secret.write_text("do not serve me")
        for path in (str(secret), "/etc/passwd", "../../../../etc/passwd"):
            assert _status(f"{url}/gradio_api/file={path}") in (403, 404)
        # The answering model is served by the llama-server the app started (its warm-up).
        server = _child(app.pid, "llama-server", timeout_s=120)
    gone, _ = psutil.wait_procs([server], timeout=15)
    assert gone, "llama-server outlived the app"


def _child(pid: int, name: str, timeout_s: float) -> psutil.Process:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child in psutil.Process(pid).children(recursive=True):
            if child.name().startswith(name):
                return child
        time.sleep(0.5)
    pytest.fail(f"the app started no {name} within {timeout_s:.0f} s")
