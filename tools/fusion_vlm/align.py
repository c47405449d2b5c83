"""Stage 0, visual-word alignment of the words projector: before the language model is in the
loop, query k of the projector learns to say the k-th token of the picture's caption, by
cross-entropy over the captions' vocabulary. Its tokens then are those words, softly, and the
LM reads the picture as it reads text. The LM's word embeddings are frozen and the LM never
runs, so a step costs a projector pass and a small matmul. (Aligning the MLP projector on bags
of answer words was measured too and removed: ``docs/measured/fusion_scenes_diagnosis.json``.)
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from tools.fusion_vlm.data import CAPTION_PROMPT, Encoder, Example
from tools.fusion_vlm.model import FusionVLM
from tools.fusion_vlm.word_projector import WordProjector


@contextmanager
def _training(module: torch.nn.Module) -> Iterator[None]:
    """``module`` trainable for the block; what was frozen is frozen again after it (a
    projector aligned here may be meant to stay as aligned)."""
    frozen = [p for p in module.parameters() if not p.requires_grad]
    module.requires_grad_(True)
    try:
        yield
    finally:
        for parameter in frozen:
            parameter.requires_grad_(False)


def caption_targets(
    items: list[Example], encoder: Encoder, tokens: int
) -> tuple[dict[Path, list[int]], list[int]]:
    """Each captioned picture's caption as ``tokens`` token ids (cut, or padded with the
    tokenizer's "." as "nothing more to say"), and the vocabulary they use, sorted."""
    end = encoder.tokenizer(".")["input_ids"][-1]
    captions: dict[Path, list[int]] = {}
    for item in items:
        if item.question == CAPTION_PROMPT and item.image not in captions:
            ids = encoder.answer_ids(item.answer)[:tokens]
            captions[item.image] = ids + [end] * (tokens - len(ids))
    if not captions:
        raise ValueError(
            f"the words projector aligns on captions, and the data has none (examples asking "
            f"{CAPTION_PROMPT!r}): add captions, or use the mlp projector"
        )
    return captions, sorted({t for ids in captions.values() for t in ids})


def align(
    model: FusionVLM,
    encoder: Encoder,
    items: list[Example],
    steps: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> dict[str, float]:
    """Train the words projector alone to say each picture's caption, token k from query k
    (cross-entropy over the captions' vocabulary, which becomes the projector's); the LM
    never runs. The figures of the run, with the last batch's token accuracy."""
    start = time.perf_counter()
    projector = model.projector
    if not isinstance(projector, WordProjector):
        raise ValueError('alignment trains the words projector: set "projector": "words"')
    captions, vocabulary = caption_targets(items, encoder, projector.tokens)
    model.use_visual_words(vocabulary)
    column = {token: i for i, token in enumerate(vocabulary)}
    pictures = list(captions)
    targets = torch.tensor([[column[t] for t in captions[p]] for p in pictures])
    words = model.words().float()
    optimizer = torch.optim.AdamW(projector.parameters(), lr=learning_rate, weight_decay=0.05)
    rng = random.Random(seed)
    loss, accuracy = torch.zeros(()), 0.0
    with _training(projector):
        for step in range(steps):
            pick = rng.sample(range(len(pictures)), min(batch_size, len(pictures)))
            logits = projector.logits(encoder.vision([pictures[i] for i in pick]), words)
            y = targets[pick]
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
            for group in optimizer.param_groups:  # cosine to zero: the last steps settle
                group["lr"] = learning_rate * 0.5 * (1 + math.cos(math.pi * step / steps))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            accuracy = (logits.argmax(-1) == y).float().mean().item()
    return {
        "align_steps": steps,
        "align_loss": round(loss.item(), 4),
        "align_token_accuracy": round(accuracy, 4),
        "align_vocabulary": len(vocabulary),
        "align_captions": len(pictures),
        "align_seconds": round(time.perf_counter() - start, 1),
    }
