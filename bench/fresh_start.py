"""A freshly started app's first answer: from the start of the process (imports included) to
the first token and to the whole answer of a question about a new photo asked at once, while
the app's warm-up (``Assistant.warm_up``, which ``app.py`` starts) is still loading models.

    .venv/bin/python bench/fresh_start.py [--pairs 3] [--against /tmp/old]

Each run is a new Python process with an empty data dir (the operating system's file cache is
warm after the first). With ``--against``, runs of that checkout (another commit's worktree)
alternate with this one's, so both see the same machine; the ratios compare their medians.
"""

from __future__ import annotations

import argparse
import json
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
from assistant import Assistant, Settings
assistant = Assistant(Settings(data_dir=sys.argv[2]))
assistant.warm_up()
first, tokens = None, 0
for event in assistant.session("fresh").ask(sys.argv[4], images=[sys.argv[3]]):
    if event.kind == "token":
        tokens += 1
        first = first or time.perf_counter()
end = time.perf_counter()
print(json.dumps({"first_token_s": (first or end) - start, "answer_s": end - start,
                  "tokens": tokens}))
"""


def run_once(checkout: Path, photo: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, str(checkout), tmp, str(photo), QUESTION],
            cwd=checkout, capture_output=True, text=True, timeout=600, check=True,
        )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, run in alternation")
    args = parser.parse_args()
    checkouts = {"this": ROOT} | ({"against": args.against} if args.against else {})
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    for _ in range(args.pairs):
        for name in PHOTOS:
            for label, checkout in checkouts.items():
                result = run_once(checkout, ROOT / "eval" / "photos" / "images" / name)
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
