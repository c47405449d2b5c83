"""A real ingestion in a child process, killed with SIGKILL at a chosen moment (what a crash or
an OOM kill does to the app): the crash tests and the reliability suite both use it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = textwrap.dedent(
    """
    import sys
    from knowledge_base import KnowledgeBase, KnowledgeSettings
    kb = KnowledgeBase(KnowledgeSettings())
    def progress(ev):
        print("progress", ev.stage, ev.done_chunks, ev.total_chunks, flush=True)
    kb.ingest(sys.argv[1:], progress=progress)
    print("finished", flush=True)
    """
)


def ingest_in_child(
    paths: list[Path], kill_at: Callable[[str, int, int], bool] | None = None
) -> bool:
    """Ingest ``paths`` in a child (the data dir from ``VIRA_DATA_DIR``, as the app reads it);
    SIGKILL it at the first progress line ``kill_at(stage, done chunks, total chunks)`` is true
    of (None: let it finish). Returns whether it was killed."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *map(str, paths)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        for line in child.stdout or ():
            words = line.split()
            if kill_at and words[0] == "progress" and kill_at(words[1], *map(int, words[2:4])):
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.wait(timeout=300)
    return child.returncode == -signal.SIGKILL
