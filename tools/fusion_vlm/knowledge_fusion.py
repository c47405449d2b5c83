"""Fusing what the image shows, what is asked and what was retrieved.

``GatedFusion`` weighs the three as the system card describes: q = FFN([v; l; k]),
alpha = softmax(q), o = sum_i alpha_i x_i, one fused token per example. ``CrossAttentionFusion``
is the stronger variant: the visual tokens attend to the question and the passages.
``PassageSelector`` applies the same alpha = softmax(FFN([v; l; k])) across retrieved passages:
the picture chooses the passage, whose own words the language model then reads."""

from __future__ import annotations

import torch
from torch import nn


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over dim 1 of [B, N, H] where ``mask`` [B, N] is true; zeros where none is."""
    weights = mask.unsqueeze(-1).to(x.dtype)
    return (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class GatedFusion(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.score = nn.Sequential(nn.Linear(3 * hidden, hidden), nn.GELU(), nn.Linear(hidden, 3))
        self.weights: torch.Tensor | None = None  # the last alphas, for inspection

    def forward(
        self, visual: torch.Tensor, question: torch.Tensor, knowledge: torch.Tensor,
        knowledge_mask: torch.Tensor,
    ) -> torch.Tensor:  # fmt: skip
        """visual [B, Nv, H], question [B, H], knowledge [B, Nk, H] -> [B, 1, H]."""
        v = visual.mean(1)
        k = masked_mean(knowledge, knowledge_mask)
        alphas = self.score(torch.cat([v, question, k], dim=-1))
        # An example without passages gives them no weight at all.
        blocked = torch.zeros_like(alphas, dtype=torch.bool)
        blocked[:, 2] = ~knowledge_mask.any(1)
        alphas = alphas.masked_fill(blocked, -1e4)
        self.weights = alphas.softmax(-1)
        stacked = torch.stack([v, question, k], dim=1)  # [B, 3, H]
        return (self.weights.unsqueeze(-1) * stacked).sum(1, keepdim=True)


class CrossAttentionFusion(nn.Module):
    """Flamingo's gated cross-attention: o = v + tanh(g) * attend(v, [l; k]), g starting at
    zero, so the visual tokens of a model trained on pictures alone (stage 1) are unchanged
    when this module is added, and it learns how much of the passages to let in."""

    def __init__(self, hidden: int, heads: int = 4) -> None:
        super().__init__()
        heads = heads if hidden % heads == 0 else 1
        self.attend = nn.MultiheadAttention(hidden, heads, batch_first=True)
        self.norm = nn.LayerNorm(hidden)  # of the context: passages and words differ in scale
        self.gate = nn.Parameter(torch.zeros(()))

    def forward(
        self, visual: torch.Tensor, question: torch.Tensor, knowledge: torch.Tensor,
        knowledge_mask: torch.Tensor,
    ) -> torch.Tensor:  # fmt: skip
        """Visual tokens refined by attending to [question; passages]: [B, Nv, H]."""
        context = self.norm(torch.cat([question.unsqueeze(1), knowledge], dim=1))
        keep = torch.cat([knowledge_mask.new_ones(len(question), 1), knowledge_mask], dim=1)
        attended, _ = self.attend(visual, context, context, key_padding_mask=~keep)
        return visual + self.gate.tanh() * attended


class PassageSelector(nn.Module):
    """alpha_i = softmax_i (FFN([v_i; l; k_i; v_i * k_i]) + w * m_i) over the retrieved
    passages k_i. Each passage reads the picture for itself (v_i: the visual tokens pooled by
    attention with k_i as the query); m_i, where the projector says words, is how well the
    passage's own words in order match the picture's (``model.phrase_match``), which keeps
    each object's attributes together where one sentence vector does not."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.query = nn.Linear(hidden, hidden, bias=False)
        self.key = nn.Linear(hidden, hidden, bias=False)
        self.score = nn.Sequential(nn.Linear(4 * hidden, hidden), nn.GELU(), nn.Linear(hidden, 1))
        # Starting at 5: measured on dev against 1 (docs/measured/scenes_rag_dev.json).
        self.match_weight = nn.Parameter(torch.tensor(5.0))

    def forward(
        self, visual: torch.Tensor, question: torch.Tensor, knowledge: torch.Tensor,
        knowledge_mask: torch.Tensor, match: torch.Tensor | None = None,
    ) -> torch.Tensor:  # fmt: skip
        """visual [B, Nv, H], question [B, H], knowledge [B, Nk, H], match [B, Nk] -> logits
        [B, Nk] (a missing passage gets -1e4)."""
        attention = self.query(knowledge) @ self.key(visual).transpose(1, 2)  # [B, Nk, Nv]
        seen = (attention / visual.shape[-1] ** 0.5).softmax(-1) @ visual  # [B, Nk, H]
        asked = question.unsqueeze(1).expand_as(knowledge)
        features = torch.cat([seen, asked, knowledge, seen * knowledge], dim=-1)
        logits = self.score(features).squeeze(-1)
        if match is not None:
            logits = logits + self.match_weight * match.to(logits.dtype)
        return logits.masked_fill(~knowledge_mask, -1e4)


FUSIONS = {"gated": GatedFusion, "cross": CrossAttentionFusion}
