"""``python -m assistant.eval DATASET``: answer a dataset with the configured assistant and
report answer accuracy, follow-up accuracy, retrieval recall, citation faithfulness.

The backend is whatever the ``VIRA_*`` settings name, so the same dataset compares the
offline default with a hub VLM or a model server. Exit status: 0 when it ran (whatever the
scores), 2 when the dataset cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from assistant.assistant import Assistant
from assistant.eval.dataset import DatasetError, load
from assistant.eval.metrics import Scored, summary
from assistant.eval.runner import ingest_documents, run
from assistant.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        conversations = load(args.dataset, args.images, args.annotations)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    conversations = conversations[args.skip :]
    conversations = conversations[: args.limit] if args.limit else conversations
    with tempfile.TemporaryDirectory(prefix="vira-eval-") as scratch:
        # A fresh data dir by default: the knowledge base holds the dataset's documents only.
        data_dir = args.data_dir or Path(scratch)
        settings = Settings(data_dir=data_dir)
        assistant = Assistant(settings)
        for failure in ingest_documents(assistant, conversations):
            print(f"warning: document not ingested: {failure}", file=sys.stderr)
        scored = run(assistant, conversations, _progress if args.verbose else lambda s: None)
    result = {
        "dataset": str(args.dataset),
        "vlm": settings.vlm,
        "planner": settings.planner,
        **summary(scored),
    }
    result["turns"] = [_record(s) for s in scored]
    print(table(result))
    out = args.out or Path("eval-results") / f"{Path(args.dataset).stem}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant.eval", description=__doc__)
    parser.add_argument("dataset", type=Path, help="Vira .jsonl, OK-VQA or A-OKVQA .json")
    parser.add_argument("--images", type=Path, help="folder of COCO images (OK-VQA/A-OKVQA)")
    parser.add_argument("--annotations", type=Path, help="OK-VQA annotations .json")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N conversations")
    parser.add_argument("--limit", type=int, default=0, help="first N conversations only")
    parser.add_argument("--out", type=Path, help="JSON results (eval-results/NAME.json)")
    parser.add_argument("--data-dir", type=Path, help="use this data dir instead of a temp one")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    return parser


def _progress(s: Scored) -> None:
    mark = "ok " if s.correct else "BAD"
    print(f"{mark} [{s.turn.kind}] {s.turn.question[:60]!r} -> {(s.error or s.answer)[:100]!r}")


def _record(s: Scored) -> dict:
    return {
        "conversation": s.conversation,
        "position": s.position,
        "kind": s.turn.kind,
        "question": s.turn.question,
        "images": [str(p) for p in s.turn.images],
        "answer": s.answer,
        "error": s.error,
        "correct": s.correct,
        "confidently_wrong": s.confidently_wrong,
        "vqa_score": s.vqa_score if s.turn.answer_counts else None,
        "retrieved": s.sources,
        "recall": s.recall,
        "faithful": s.faithful,
        "seconds": round(s.seconds, 3),
        "fell_back": s.fell_back,
        "expected": {k: v for k, v in asdict(s.turn).items() if k in ("answers", "keywords")},
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _separately(result: dict) -> list[tuple[str, str]]:
    """Names outside the classifier's classes, reported apart from the rest (when marked)."""
    outside = result["outside_labels"]
    if not outside["questions"]:
        return []
    return [
        ("  without outside names", _fmt(result["accuracy_within_labels"])),
        ("  outside names", f"{_fmt(outside['accuracy'])} of {outside['questions']}"),
    ]


def table(result: dict) -> str:
    rows = [
        ("questions", str(result["questions"])),
        ("answer accuracy", _fmt(result["accuracy"])),
        (
            "confidently wrong",
            f"{_fmt(result['confidently_wrong'])} ({result['confidently_wrong_count']})",
        ),
        ("  on answers the packaged models can know", _fmt(result["accuracy_knowable"])),
        ("follow-up accuracy", _fmt(result["follow_up_accuracy"])),
        *_separately(result),
        ("retrieval recall@k", _fmt(result["retrieval_recall"])),
        (
            "citation faithfulness",
            f"{_fmt(result['citation_faithfulness'])} ({result['cited_answers']} cited)",
        ),
        ("VQA accuracy", _fmt(result["vqa_accuracy"])),
        ("errors", str(result["errors"])),
        ("empty or marks-only", str(result["empty_answers"])),
        ("answers with tool-call text", str(result["tool_text"])),
        ("median seconds/turn", _fmt(result["seconds_p50"])),
        ("mean seconds/turn", _fmt(result["seconds_mean"])),
    ]
    if result["planner"] != "deterministic":
        planned = result["questions"] - result["fell_back"]
        rows.append(("turns the planner model planned", f"{planned} of {result['questions']}"))
    rows += [
        (
            f"  {kind}",
            f"{_fmt(k['accuracy'])} of {k['questions']}, "
            f"{k['confidently_wrong']} confidently wrong",
        )
        for kind, k in result["by_kind"].items()
    ]
    width = max(len(name) for name, _ in rows)
    lines = [
        f"Vira evaluation: {result['dataset']} with {result['vlm']}, planner {result['planner']}"
    ]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
