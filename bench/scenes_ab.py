"""A short A/B of one scenes training setting: does the fusion VLM read the picture at all?
Trains ``--steps`` steps of 8 on the scenes' training questions (no knowledge), then measures
the LM loss on non-caption test questions with each scene's own picture and with another
scene's (a model that reads the picture loses more with the wrong one: the gap, in nats) and
the accuracy on short answers per kind. Minutes per setting on 2 cores, where a full staged
``bench/fusion_scenes.py`` takes over an hour.

    .venv/bin/python bench/scenes_ab.py NAME [--model '{"lora_rank": 0}'] \\
        [--train '{"learning_rate": 3e-3}'] [--steps 250]

Appends the result, as one JSON line, to ``runs/exp/ab.jsonl`` and prints it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fusion_scenes import scores, stage_config, trained  # noqa: E402

from eval.scenes import generate, kinds  # noqa: E402
from tools.fusion_vlm.checkpoint import load_trained  # noqa: E402
from tools.fusion_vlm.data import read_scenes  # noqa: E402
from tools.fusion_vlm.evaluate import predict  # noqa: E402


def losses(model: torch.nn.Module, encoder: object, items: list, batch: int = 32) -> list[float]:
    """Mean LM loss with the right pictures, and with the pictures rolled by one scene."""
    right = wrong = 0.0
    with torch.inference_mode():
        for start in range(0, len(items), batch):
            b = encoder.batch(items[start : start + batch])  # type: ignore[attr-defined]
            right += model(b).lm_loss.item()
            b.vision = torch.roll(b.vision, 1, 0)
            wrong += model(b).lm_loss.item()
    n = -(-len(items) // batch)
    return [round(right / n, 4), round(wrong / n, 4)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name")
    parser.add_argument("--model", default="{}", help="model_overrides changes, JSON")
    parser.add_argument("--train", default="{}", help="TrainConfig changes, JSON")
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "exp")
    parser.add_argument("--knowledge", default="none", choices=["none", "text", "fusion"])
    parser.add_argument("--data-dir", type=Path, help="train.jsonl and test.jsonl already there")
    args = parser.parse_args()
    if args.data_dir:
        data, test = args.data_dir / "train.jsonl", args.data_dir / "test.jsonl"
    else:
        scenes = ROOT / "runs" / "scenes-dev"  # seed 0's test split: the dev split
        data, test = generate(scenes, "train", 3000, seed=0), generate(scenes, "test", 200, seed=0)
    config = stage_config(args.knowledge, data, args.out / args.name, args.steps)
    config = replace(
        config,
        model_overrides=config.model_overrides | json.loads(args.model),
        checkpoint_every=10**6,
        **json.loads(args.train),
    )
    run, timing = args.out / args.name, args.out / args.name / "timing.json"
    if not (run / "model").is_dir():
        figures = trained(config, reuse=False)
    else:  # evaluated again; runs trained before timing.json was kept have no figures
        figures = json.loads(timing.read_text()) if timing.is_file() else {}
    model, encoder = load_trained(run / "model", Path(config.models_dir))
    model.eval()
    what = kinds(test)
    # Shuffled, so that the picture rolled in from the batch's previous question is another
    # scene's: consecutive questions are about the same scene.
    picked = [i for i, k in enumerate(what) if k != "caption"]
    random.Random(0).shuffle(picked)
    items = list(read_scenes(test, args.knowledge))
    right, wrong = losses(model, encoder, [items[i] for i in picked[:128]])
    asked = picked[:300]
    said = predict(model, encoder, [items[i] for i in asked], batch_size=64, max_new_tokens=4)
    result = {
        "run": args.name,
        "model": json.loads(args.model),
        "train": json.loads(args.train),
        "steps": args.steps,
        "final_loss": figures.get("final_loss"),
        "train_samples_per_s": figures.get("train_samples_per_s"),
        "test_loss": right,
        "shuffled_loss": wrong,
        "gap": round(wrong - right, 4),
    } | scores(said, [items[i] for i in asked], [what[i] for i in asked])
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "ab.jsonl").open("a") as log:
        log.write(json.dumps(result) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
