"""A freshly started app's first answer: from the start of the process (imports included) to
the first token and to the whole answer of a question about a new photo asked at once, while
the models are still loading. Each run does what ``app.py`` does before it serves (start the
assistant, build the Gradio UI), then asks.

    .venv/bin/python bench/fresh_start.py [--pairs 3] [--against /tmp/old] [--restart]

Each run is a new Python process with an empty data dir, as at an app's very first start (the
operating system's file cache is warm after the first run); with ``--restart``, with the data
dir a first start left (its assembled model, its server's saved system prompt), as when an
app on a laptop is started again. With ``--against``, runs of that checkout (another commit's
worktree) alternate with this one's, so both see the same machine; the ratios compare medians.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ["two-dogs.jpg", "wall-clock.jpg"]  # eval/photos dev: both answered by the model
QUESTION = "What is in this picture?"

DRIVER = """
import json, sys, time
start = time.perf_counter()
sys.path.insert(0, sys.argv[1])
try:
    from assistant.startup import start as started
except ImportError:  # a checkout from before assistant.startup: what its app.py did
    import ui  # Gradio, imported at the top of app.py
    from assistant import Assistant

    def started(settings):
        assistant = Assistant(settings)
        assistant.warm_up()
        return assistant
import ui
from assistant import Settings
assistant = started(Settings(data_dir=sys.argv[2]))
ui.build_ui(assistant)
first, tokens = None, 0
for event in assistant.session("fresh").ask(sys.argv[4], images=[sys.argv[3]]):
    if event.kind == "token":
        tokens += 1
        first = first or time.perf_counter()
end = time.perf_counter()
print(json.dumps({"first_token_s": (first or end) - start, "answer_s": end - start,
                  "tokens": tokens}))
"""


def run_once(checkout: Path, photo: Path, data_dir: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(checkout), str(data_dir), str(photo), QUESTION],
        cwd=checkout, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"the run of {checkout} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def restarted(data_dir: Path) -> None:
    """What an app leaves in its data dir that a restart may use: the assembled model and
    the saved states of the server's system prompt; not pictures, chats or their states."""
    for path in sorted(data_dir.rglob("*"), reverse=True):
        keep = "models" in path.relative_to(data_dir).parts or path.name.startswith("system-")
        if path.is_file() and not keep:
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, run in alternation")
    parser.add_argument(
        "--restart", action="store_true",
        help="a restarted app: each checkout keeps its data dir's models and saved states",
    )  # fmt: skip
    args = parser.parse_args()
    checkouts = {"this": ROOT} | ({"against": args.against} if args.against else {})
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    photos = ROOT / "eval" / "photos" / "images"
    with tempfile.TemporaryDirectory() as tmp:
        kept = {label: Path(tmp) / label for label in checkouts}
        if args.restart:  # the app's first start, not timed
            for label, checkout in checkouts.items():
                run_once(checkout, photos / PHOTOS[0], kept[label])
        for n in range(args.pairs):
            for name in PHOTOS:
                for label, checkout in checkouts.items():
                    data_dir = kept[label] if args.restart else Path(tmp) / f"{label}-{n}-{name}"
                    if args.restart:
                        restarted(data_dir)
                    result = run_once(checkout, photos / name, data_dir)
                    if not args.restart:  # a first start's assembled model is 1 GB
                        shutil.rmtree(data_dir)
                    runs[label].append({"photo": name, **result})
                    print(label, name, result, file=sys.stderr)
    summary = {
        label: {
            key: statistics.median(r[key] for r in results) for key in ("first_token_s", "answer_s")
        }
        for label, results in runs.items()
    }
    if args.against:
        summary["ratio_this_to_against"] = {
            key: summary["this"][key] / summary["against"][key] for key in summary["this"]
        }
    print(json.dumps({"runs": runs, "median": summary}, indent=1))


if __name__ == "__main__":
    main()
