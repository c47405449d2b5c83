"""The modality projector: vision tokens pooled to a fixed count and mapped into the language
model's embedding space by a two-layer MLP (the LLaVA-1.5 projector), optionally conditioned
on the question (FiLM)."""

from __future__ import annotations

import math

import torch
from torch import nn


class ModalityProjector(nn.Module):
    def __init__(
        self, in_dim: int, out_dim: int, tokens: int, hidden: int, question_dim: int = 0
    ) -> None:
        super().__init__()
        self.tokens = tokens
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))
        # FiLM (Perez et al., 2018): the question scales and shifts each hidden feature of
        # every visual token, so a token can say "this is what was asked about" before the LM
        # reads it. Zero-initialised: without training it is the plain projector. Bounded
        # (tanh) and of a normalised question: unbounded, Adam's first steps on hundreds of
        # inputs at once blew the features up (the loss went from 6 to 13).
        self.film = (
            nn.Sequential(nn.LayerNorm(question_dim), nn.Linear(question_dim, 2 * hidden))
            if question_dim
            else None
        )
        if self.film is not None:
            nn.init.zeros_(self.film[1].weight)
            nn.init.zeros_(self.film[1].bias)

    def forward(self, features: torch.Tensor, question: torch.Tensor | None = None) -> torch.Tensor:
        """[B, N, in_dim] (and the question, [B, question_dim]) -> [B, tokens, out_dim]."""
        pooled = pool_tokens(features, self.tokens)
        if self.film is None or question is None:
            return self.mlp(pooled)
        first, act, second = self.mlp
        scale, shift = self.film(question).tanh().unsqueeze(1).chunk(2, dim=-1)
        return second(act(first(pooled) * (1 + scale) + shift))


def pool_tokens(features: torch.Tensor, tokens: int) -> torch.Tensor:
    """[B, N, D] -> [B, tokens, D]. A square grid pooled to a square grid keeps where things
    are (a 7x7 map to 2x2: the quadrants); otherwise the sequence is pooled in order."""
    n = features.shape[1]
    if n == tokens:
        return features
    side, out = math.isqrt(n), math.isqrt(tokens)
    if side * side == n and out * out == tokens:
        b, _, d = features.shape
        grid = features.transpose(1, 2).reshape(b, d, side, side)
        return nn.functional.adaptive_avg_pool2d(grid, out).flatten(2).transpose(1, 2)
    return nn.functional.adaptive_avg_pool1d(features.transpose(1, 2), tokens).transpose(1, 2)
