"""How much of a CLEVR-style scene the frozen vision features hold, without any language model:
a small head per visual token, its outputs summed over the tokens, trained to count each
colour and each shape (the scenes' count questions). The ceiling a fusion VLM on the same
tower and token grid could reach on counts, for telling a tower problem from a training one.

    .venv/bin/python bench/scenes_probe.py [--scenes 1200] [--test-scenes 200] [--tokens 16 49]

The scenes are those of ``bench/fusion_scenes.py`` (the same seeds), drawn in memory. Prints,
as JSON, the test accuracy of the rounded counts per token grid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval import scenes as sc  # noqa: E402
from tools.fusion_vlm.projector import pool_tokens  # noqa: E402
from tools.fusion_vlm.vision_tower import create_vision_tower  # noqa: E402


def pictures(split: str, count: int, seed: int = 0) -> list[tuple[object, list[sc.Thing]]]:
    """The split's scenes as ``generate`` draws them, in memory."""
    return [(sc.draw(things), things) for _, things, _, _ in sc.drawn(split, count, seed)]


def counts(data: list[tuple[object, list[sc.Thing]]]) -> torch.Tensor:
    colours, shapes = list(sc.COLOURS), sc.SHAPES
    return torch.tensor([[sum(t.colour == c for t in th) for c in colours]
                         + [sum(t.shape == s for t in th) for s in shapes]
                         for _, th in data]).float()  # fmt: skip


def probe(train: torch.Tensor, y: torch.Tensor, steps: int = 1500) -> nn.Module:
    torch.manual_seed(0)
    dim = train.shape[-1]
    head = nn.Sequential(
        nn.LayerNorm(dim), nn.Linear(dim, 256), nn.GELU(), nn.Linear(256, y.shape[1])
    )
    optimizer = torch.optim.AdamW(head.parameters(), 1e-3, weight_decay=0.01)
    for _ in range(steps):
        pick = torch.randint(0, len(train), (64,))
        loss = (head(train[pick]).sum(1) - y[pick]).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return head


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenes", type=int, default=1200)
    parser.add_argument("--test-scenes", type=int, default=200)
    parser.add_argument("--tower", default="efficientnet-lite0-pyramid")
    parser.add_argument("--tokens", type=int, nargs="+", default=[16, 49])
    args = parser.parse_args()
    tower = create_vision_tower(args.tower)
    train, test = pictures("train", args.scenes), pictures("test", args.test_scenes)

    def features(data: list) -> torch.Tensor:
        return torch.cat([tower([d[0] for d in data[i : i + 32]]) for i in range(0, len(data), 32)])

    f_train, f_test, y_train, y_test = features(train), features(test), counts(train), counts(test)
    report: dict[str, object] = {"tower": args.tower, "train_scenes": len(train)}
    for tokens in args.tokens:
        x_train, x_test = pool_tokens(f_train, tokens), pool_tokens(f_test, tokens)
        head = probe(x_train, y_train)
        with torch.no_grad():
            right = (head(x_test).sum(1).round() == y_test).float().mean(0)
        colours = len(sc.COLOURS)
        report[f"{tokens} tokens"] = {
            "colour counts": round(right[:colours].mean().item(), 3),
            "shape counts": round(right[colours:].mean().item(), 3),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
