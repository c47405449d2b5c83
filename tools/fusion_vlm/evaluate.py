"""Evaluate a trained fusion VLM: ``python -m tools.fusion_vlm.evaluate RUN_DIR DATA.json``.

DATA.json names a dataset as the training config's ``data`` does
(``{"format": "coco", "annotations": ..., "images": ...}``). Prints caption metrics (BLEU-1..4,
ROUGE-L, CIDEr) over each image's references, VQA accuracy over the questions, and
image<->text recall@k from the contrastive heads, as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from tools.fusion_vlm.checkpoint import load_trained
from tools.fusion_vlm.data import CAPTION_PROMPT, Example, read_examples
from tools.fusion_vlm.metrics import caption_scores, recall_at_k, vqa_accuracy


def predict(
    model: Any, encoder: Any, prompts: list[Example], batch_size: int = 32, max_new_tokens: int = 32
) -> list[str]:
    """The model's greedy answer to each prompt (its image and question), in batches."""
    said = []
    eos = encoder.tokenizer.eos_token_id
    for start in range(0, len(prompts), batch_size):
        asked = prompts[start : start + batch_size]
        if model.config.passages == "select":
            asked = chosen_by(model, encoder, asked)
        batch = encoder.batch(asked, with_answer=False)
        tokens = model.generate(batch, max_new_tokens, eos)
        said += [encoder.tokenizer.decode(t, skip_special_tokens=True).strip() for t in tokens]
    return said


def chosen_by(model: Any, encoder: Any, prompts: list[Example]) -> list[Example]:
    """The prompts with the passage the model's selector chooses for each (whatever they
    named before: a reader may have named the gold one)."""
    unchosen = [replace(p, chosen=-1) for p in prompts]
    picks = model.pick(encoder.batch(unchosen, with_answer=False))
    return [replace(p, chosen=c) for p, c in zip(unchosen, picks, strict=True)]


def evaluate(run: Path, data: dict, models_dir: Path, batch_size: int = 8) -> dict[str, float]:
    folder = run / "model" if (run / "model").is_dir() else run
    model, encoder = load_trained(folder, models_dir)
    items = read_examples(data)
    grouped: dict[tuple[Path, str], list[str]] = defaultdict(list)
    for item in items:  # one prediction per (image, question), against all its answers
        grouped[(item.image, item.question)].append(item.answer)
    keys = list(grouped)
    said = predict(model, encoder, [Example(img, q, "") for img, q in keys], batch_size)
    scores: dict[str, float] = {"examples": float(len(keys))}
    captions = [i for i, (_, q) in enumerate(keys) if q == CAPTION_PROMPT]
    questions = [i for i, (_, q) in enumerate(keys) if q != CAPTION_PROMPT]
    if captions:
        scores |= caption_scores([grouped[keys[i]] for i in captions], [said[i] for i in captions])
    if questions:
        scores["VQA accuracy"] = vqa_accuracy([grouped[keys[i]] for i in questions],
                                              [said[i] for i in questions])  # fmt: skip
    firsts = [Example(img, q, grouped[(img, q)][0]) for img, q in keys]
    with torch.inference_mode():
        pairs = [model.embed_pair(encoder.batch(firsts[s : s + batch_size]))
                 for s in range(0, len(firsts), batch_size)]  # fmt: skip
    images = torch.cat([p[0] for p in pairs])
    texts = torch.cat([p[1] for p in pairs])
    return scores | recall_at_k(images, texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.fusion_vlm.evaluate", description=__doc__
    )
    parser.add_argument("run", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--models-dir", type=Path, default=Path("data/models"))
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.data.read_text())
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {args.data}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(evaluate(args.run, data, args.models_dir), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
