"""How well the picture's words alone tell which retrieved note is the scene's: no training.

The words projector reads a scene as a distribution over its caption vocabulary at each of
its positions ("a small yellow circle at the bottom and ..."). Each object a retrieved note
names ("The small yellow circle at the bottom belongs to Emil.") is scored by its best
placement in that reading (the sum of its words' log-probabilities at consecutive
positions), a note by the mean over its objects, and the best-scoring note is picked. Run on
``bench/scenes_rag.py``'s stage 1 and retrieved dev questions:

    .venv/bin/python bench/scenes_words_match.py [--out runs/rag] [--split dev]

Prints how often the pick is the scene's own note, where retrieval found it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.fusion_vlm.checkpoint import load_trained  # noqa: E402


def placed(logp: torch.Tensor, ids: list[int]) -> float:
    """The best sum of log-probabilities of ``ids`` (vocabulary indices) read in a row."""
    windows = logp.shape[0] - len(ids) + 1
    steps = torch.arange(len(ids))
    sums = torch.stack([logp[p + steps, ids].sum() for p in range(windows)])
    return float(sums.max())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "rag")
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    model, encoder = load_trained(args.out / "pictures" / "model", Path("data/models"))
    vocabulary = {t: i for i, t in enumerate(model.config.visual_words)}
    rows = [json.loads(line) for line in (args.out / f"{args.split}-retrieved.jsonl").open()]
    right = asked = 0
    for row in rows:
        if row["kind"] != "knowledge" or row["gold"] < 0:
            continue
        with torch.inference_mode():
            features = encoder.vision([args.out / row["image"]])
            logp = model.projector.logits(features, model.words()).log_softmax(-1)[0]
        scores = []
        for note in row["passages"]:
            found = []
            for thing in re.findall(r"The (.+?) belongs to", note):
                ids = encoder.tokenizer(f" a {thing}")["input_ids"]
                if all(i in vocabulary for i in ids):
                    found.append(placed(logp, [vocabulary[i] for i in ids]))
            scores.append(sum(found) / len(found) if found else float("-inf"))
        asked += 1
        right += max(range(len(scores)), key=scores.__getitem__) == row["gold"]
    print(json.dumps({"split": args.split, "questions": asked,
                      "picks the scene's note": round(right / asked, 3)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
