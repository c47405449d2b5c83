"""``python -m knowledge_base ingest PATH... | search QUERY [-k N] | list | delete DOC_ID``."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from typing import Any

from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.kb import KnowledgeBase
from knowledge_base.settings import KnowledgeSettings
from knowledge_base.types import FileStatus, IngestProgress, plural


def _parser() -> argparse.ArgumentParser:
    # --json works before or after the command; SUPPRESS keeps the subparser's default from
    # overwriting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    parser = argparse.ArgumentParser(
        prog="python -m knowledge_base",
        description="Vira's knowledge base: add documents, search them with sources.",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", parents=[common], help="add files or folders")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    search = sub.add_parser("search", parents=[common], help="hybrid search with sources")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    search.add_argument("--kind", choices=["text", "image"], help="only text or image items")
    sub.add_parser("list", parents=[common], help="list documents")
    delete = sub.add_parser("delete", parents=[common], help="remove a document")
    delete.add_argument("doc_id", metavar="DOC_ID")
    return parser


class _ProgressBar:
    """A tqdm bar over files, shown only on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self._bar: Any = None
        self._enabled = enabled

    def __call__(self, event: IngestProgress) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            # shutil falls back to 80 columns where the terminal reports a width of 0.
            width = shutil.get_terminal_size().columns
            self._bar = tqdm(total=event.file_count, unit="file", file=sys.stderr, ncols=width)
        name = event.path.rsplit("/", 1)[-1][:40]
        if event.stage == "stored":
            self._bar.set_postfix_str(f"{name}: {event.done_chunks}/{event.total_chunks} chunks")
        elif event.stage == "file":
            self._bar.set_postfix_str(f"{name}: reading")
        elif event.stage == "done":
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _ingest(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    bar = _ProgressBar(enabled=sys.stderr.isatty() and not args.json)
    try:
        report = kb.ingest(args.paths, progress=bar)
    finally:
        bar.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for file in report.files:
            print(file.line())
        counts = {s: sum(f.status == s for f in report.files) for s in FileStatus}
        summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
        added = plural(report.chunks_added, "chunk")
        print(f"{plural(len(report.files), 'file')}: {summary}; {added} added")
    return 0 if report.ok else 1


def _search(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    hits = kb.search(args.query, k=args.k, kind=args.kind)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=2))
    elif not hits:
        print("no results")
    for n, hit in enumerate(hits if not args.json else [], start=1):
        snippet = " ".join(hit.text.split())
        snippet = snippet[:300] + ("…" if len(snippet) > 300 else "")
        where = f"{hit.citation()} › {hit.heading}" if hit.heading else hit.citation()
        print(f"[{n}] {where} ({hit.kind}, score {hit.score:.4f}, doc {hit.doc_id})")
        print(f"    {snippet}")
    return 0


_FLAG = "passage(s) address the assistant: left out of answers"


def _list(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    docs = kb.list()
    if args.json:
        print(json.dumps([d.to_dict() for d in docs], indent=2))
        return 0
    if not docs:
        print("the knowledge base is empty")
    for d in docs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(d.ingested_at))
        pages = f"{d.pages} pages, " if d.pages else ""
        flag = f"  ! {d.flagged} {_FLAG}" if d.flagged else ""
        counts = f"{pages}{plural(d.chunks, 'chunk')}, {plural(d.images, 'image')}, {when}"
        print(f"{d.doc_id}  {d.source}  ({counts}){flag}")
    return 0


def _delete(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    info = kb.delete(args.doc_id)
    if args.json:
        print(json.dumps({"deleted": info.to_dict()}))
    else:
        held = f"{plural(info.chunks, 'chunk')}, {plural(info.images, 'image')}"
        print(f"deleted {info.doc_id} {info.source} ({held})")
    return 0


COMMANDS = {"ingest": _ingest, "search": _search, "list": _list, "delete": _delete}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        kb = KnowledgeBase(KnowledgeSettings())
        return COMMANDS[args.command](kb, args)
    except KnowledgeBaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a one-line reason, never a traceback, for a CLI user
        print(f"error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 2
