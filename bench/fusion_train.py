"""Training cost of the fusion VLM against its language model alone, in one run on one machine.

    .venv/bin/python bench/fusion_train.py [--lm gguf:smollm2-135m] [--steps 5]

Baseline: a forward+backward of the frozen LM on a batch of 8 x 64 tokens (gradients to its
input embeddings, as a frozen LM under a trained prefix gets them). Measured: one stage-1 step
of the fusion VLM on the same tokens (projector, fusion and heads training; the tower's
features precomputed). Prints seconds per step, their ratio, and the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.fusion_vlm.config import CONFIGS  # noqa: E402
from tools.fusion_vlm.language_model import load_language_model  # noqa: E402
from tools.fusion_vlm.model import IGNORE, Batch, FusionVLM  # noqa: E402
from tools.fusion_vlm.vision_tower import EfficientNetPyramidTower  # noqa: E402

BATCH, TOKENS = 8, 64
DEMO = "efficientnet-smollm2-135m"


def timed(step, n: int) -> float:
    step()  # warm-up
    seconds = []
    for _ in range(n):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lm", default=CONFIGS[DEMO].language_model)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    start = time.perf_counter()
    lm, _ = load_language_model(args.lm, ROOT / "data" / "models")
    loaded = time.perf_counter() - start
    lm.requires_grad_(False)
    vocab = lm.config.vocab_size
    ids = torch.randint(0, vocab, (BATCH, TOKENS))
    labels = ids.clone()
    labels[:, : TOKENS // 2] = IGNORE
    mask = torch.ones_like(ids)

    def plain() -> None:
        embeds = lm.get_input_embeddings()(ids).detach().requires_grad_(True)
        lm(inputs_embeds=embeds, attention_mask=mask, labels=labels).loss.backward()

    model = FusionVLM(CONFIGS[DEMO], lm, EfficientNetPyramidTower.dim)
    optimizer = torch.optim.AdamW(model.trainable(), lr=1e-3)
    batch = Batch(torch.randn(BATCH, 49, EfficientNetPyramidTower.dim), ids, mask, labels,
                  torch.randn(BATCH, 3, 384), torch.ones(BATCH, 3, dtype=torch.bool))  # fmt: skip

    def fused() -> None:
        model(batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    base, step = timed(plain, args.steps), timed(fused, args.steps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    params = sum(p.numel() for p in model.trainable())
    print(f"LM {args.lm}: loaded in {loaded:.1f} s; {params / 1e6:.1f} M parameters train")
    print(f"LM alone, forward+backward {BATCH}x{TOKENS}: {base:.2f} s")
    print(f"fusion VLM stage-1 step (same tokens + {model.config.visual_tokens + 1} prefix "
          f"tokens): {step:.2f} s -> {step / base:.2f}x")  # fmt: skip
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
