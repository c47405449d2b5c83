"""A real-text corpus built offline: the standard library's own documentation (pydoc)."""

from __future__ import annotations

import importlib
import pydoc
import warnings
from pathlib import Path

MODULES = [
    "argparse", "asyncio", "base64", "bisect", "calendar", "collections", "concurrent.futures",
    "configparser", "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal", "difflib",
    "email", "enum", "fractions", "functools", "gettext", "glob", "gzip", "hashlib", "heapq",
    "hmac", "html.parser", "http.client", "http.server", "imaplib", "inspect", "io",
    "ipaddress", "itertools", "json", "logging", "lzma", "mailbox", "mimetypes", "multiprocessing",
    "numbers", "operator", "optparse", "os", "pathlib", "pickle", "platform", "pprint", "queue",
    "random", "re", "sched", "secrets", "selectors", "shelve", "shlex", "shutil", "signal",
    "smtplib", "socket", "sqlite3", "ssl", "statistics", "string", "struct", "subprocess",
    "tarfile", "tempfile", "textwrap", "threading", "time", "timeit", "tokenize", "traceback",
    "typing", "unittest", "urllib.parse", "urllib.request", "uuid", "venv", "weakref",
    "xml.etree.ElementTree", "zipfile", "zlib",
]  # fmt: skip
MAX_FILE_CHARS = 60_000


def module_texts() -> dict[str, str]:
    texts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            text = pydoc.render_doc(module, renderer=pydoc.plaintext)
            texts[name] = text[:MAX_FILE_CHARS]
    return texts


def write_corpus(folder: Path, min_chars: int) -> list[Path]:
    """Write module docs as .txt files until at least ``min_chars`` characters exist."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, total = [], 0
    for name, text in module_texts().items():
        path = folder / f"{name}.txt"
        path.write_text(text)
        paths.append(path)
        total += len(text)
        if total >= min_chars:
            break
    return paths
