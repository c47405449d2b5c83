"""Starting real servers (the web app, chroma run, llama-server) for tests, on free loopback
ports."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from ui import build_ui, launch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(
    command: list[str], ready_url: str, log: Path, timeout_s: float
) -> Iterator[subprocess.Popen]:
    """Run ``command`` until ``ready_url`` answers; stop it afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(ready_url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{command[0]} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def running_app(assistant: Assistant) -> Iterator[str]:
    """The real web app for ``assistant`` on a free loopback port, as ``python app.py`` serves
    it (its sign-in and concurrency from the assistant's settings); yields its URL."""
    demo = build_ui(assistant)
    port = free_port()
    launch(
        demo, "127.0.0.1", port, assistant.settings.max_upload_bytes, block=False,
        auth=assistant.access.gradio_auth, concurrency=assistant.concurrency,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
