"""Stage 0, visual-word alignment: before the language model is in the loop, the projector
alone learns to say what a picture shows, in the LM's own word space. The LM's word embeddings
are frozen and the LM never runs, so a step costs a projector pass and a small matmul:
hundreds of steps of 64 pictures take seconds to minutes, where a step through the LM takes
half a second for 8 questions.

For the words projector (``align_words``, what the scenes bench uses): query k is taught the
k-th token of the picture's caption, by cross-entropy over the captions' vocabulary. Its
tokens then are those words, softly, and the LM reads the picture as text: on the scenes' dev
split the loss with another scene's picture rose by 0.63 nats after 250 LM steps, colour 0.92
and count 0.81 (``docs/measured/fusion_scenes_diagnosis.json``, third round).

For the MLP projector (``align_projector``): each visual token, scored against the word
embeddings of the training answers' vocabulary, is a distribution over those words; a picture
is the mixture of its tokens' distributions (``word_mixture``), and the words of every answer
about the picture should be likely under it. It teaches which words a scene holds (colour
0.47 against 0.26 without it), but nothing binds a colour to its shape in one token, and
through the LM alone an answer's one or two tokens reach the projector as a faint gradient.
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
from tools.fusion_vlm.model import FusionVLM, word_mixture
from tools.fusion_vlm.word_projector import WordProjector


def answer_words(items: list[Example], encoder: Encoder) -> dict[Path, set[int]]:
    """Each picture's bag of answer tokens, over all the questions asked about it."""
    bags: dict[Path, set[int]] = {}
    for item in items:
        bags.setdefault(item.image, set()).update(encoder.answer_ids(item.answer))
    return bags


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


def align_projector(
    model: FusionVLM,
    encoder: Encoder,
    items: list[Example],
    steps: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> dict[str, float]:
    """Train ``model.projector`` alone on the visual-word objective (also when it is to stay
    frozen afterwards: aligned, then read); the figures of the run."""
    start = time.perf_counter()
    bags = answer_words(items, encoder)
    vocabulary = sorted(set().union(*bags.values()))
    column = {token: i for i, token in enumerate(vocabulary)}
    pictures = list(bags)
    targets = torch.zeros(len(pictures), len(vocabulary))
    for row, picture in enumerate(pictures):
        targets[row, [column[t] for t in bags[picture]]] = 1
    words = model.lm.get_input_embeddings().weight.detach()[vocabulary].float()
    optimizer = torch.optim.AdamW(model.projector.parameters(), lr=learning_rate)
    rng = random.Random(seed)
    loss = torch.zeros(())
    with _training(model.projector):
        for _ in range(steps):
            pick = rng.sample(range(len(pictures)), min(batch_size, len(pictures)))
            vision = encoder.vision([pictures[i] for i in pick])
            mixture = word_mixture(model.projector(vision), words)
            y = targets[pick]
            loss = -(mixture * y).sum() / y.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return {
        "align_steps": steps,
        "align_loss": round(loss.item(), 4),
        "align_vocabulary": len(vocabulary),
        "align_seconds": round(time.perf_counter() - start, 1),
    }


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


def align_words(
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
    assert isinstance(projector, WordProjector)
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


def align(
    model: FusionVLM, encoder: Encoder, items: list[Example], steps: int, batch_size: int = 64,
    learning_rate: float = 1e-3, seed: int = 0,
) -> dict[str, float]:  # fmt: skip
    """Stage 0 for the model's projector: captions word by word for the words projector,
    bags of answer words for the MLP one."""
    how = align_words if isinstance(model.projector, WordProjector) else align_projector
    return how(model, encoder, items, steps, batch_size, learning_rate, seed)
