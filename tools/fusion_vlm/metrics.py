"""Evaluation metrics of the fusion VLM: BLEU-1..4, ROUGE-L and CIDEr for captions (the COCO
caption reference code, pycocoevalcap, which runs offline), VQA accuracy, and image<->text
recall@k from the contrastive heads."""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch

_PUNCT = re.compile(r"[^\w\s]")


def _tokens(text: str) -> str:
    # COCO's PTB tokenizer (Java) lower-cases and drops punctuation; this does the same.
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def caption_scores(references: list[list[str]], candidates: list[str]) -> dict[str, float]:
    """Corpus BLEU-1..4, ROUGE-L and CIDEr of ``candidates`` against their ``references``."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    refs = {str(i): [_tokens(r) for r in rs] for i, rs in enumerate(references)}
    cands = {str(i): [_tokens(c) or "-"] for i, c in enumerate(candidates)}
    bleu, _ = Bleu(4).compute_score(refs, cands, verbose=0)
    scores = {f"BLEU-{n}": float(b) for n, b in enumerate(bleu, start=1)}
    scores["ROUGE-L"] = float(Rouge().compute_score(refs, cands)[0])
    scores["CIDEr"] = float(Cider().compute_score(refs, cands)[0])
    return scores


def vqa_accuracy(answers: list[list[str]], predictions: list[str]) -> float:
    """VQA's soft accuracy: min(#annotators who gave the answer / 3, 1), averaged; with one
    gold answer per question it is exact match (after normalising)."""
    total = 0.0
    for gold, said in zip(answers, predictions, strict=True):
        matches = sum(_tokens(g) == _tokens(said) for g in gold)
        total += min(1.0, matches / 3) if len(gold) >= 3 else float(matches > 0)
    return total / max(1, len(answers))


#: Spellings that name the same answer.
SAME = {"grey": "gray", "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four"}


def closed_set_right(
    said: str, gold: str, groups: Sequence[Sequence[str]], same: dict[str, str] | None = None
) -> bool:
    """Whether a free-text answer gives ``gold`` of a closed set: yes/no by its first yes or
    no; otherwise it names ``gold`` and no rival from gold's group (colours, shapes, numbers):
    "The shape is red." is right for red, "red or blue" is not, "2 red objects" is right for
    two. Lets a sentence be scored like a one-word answer."""
    same = SAME | (same or {})
    words = [same.get(w, w) for w in _tokens(said).split()]
    if gold in ("yes", "no"):
        return next((w for w in words if w in ("yes", "no")), None) == gold
    rivals = next((g for g in groups if gold in g), (gold,))
    return {c for c in rivals if c in words} == {gold}


def recall_at_k(images: torch.Tensor, texts: torch.Tensor, ks: tuple[int, ...] = (1, 5, 10)
                ) -> dict[str, float]:  # fmt: skip
    """Row i of ``images`` belongs with row i of ``texts`` (unit vectors): how often the right
    partner is among the k most similar, both ways. A k as large as the set is left out: its
    recall is 1 whatever the model."""
    similarity = images @ texts.T
    right = torch.arange(len(similarity))
    scores = {}
    for k in (k for k in ks if k < len(similarity)):
        i2t = (similarity.topk(k, dim=1).indices == right[:, None]).any(1).float().mean()
        t2i = (similarity.T.topk(k, dim=1).indices == right[:, None]).any(1).float().mean()
        scores[f"image->text R@{k}"], scores[f"text->image R@{k}"] = float(i2t), float(t2i)
    return scores
