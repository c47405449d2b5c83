"""The modality projector: vision tokens pooled to a fixed count and mapped into the language
model's embedding space by a two-layer MLP (the LLaVA-1.5 projector)."""

from __future__ import annotations

import math

import torch
from torch import nn


class ModalityProjector(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, tokens: int, hidden: int) -> None:
        super().__init__()
        self.tokens = tokens
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """[B, N, in_dim] -> [B, tokens, out_dim]."""
        return self.mlp(pool_tokens(features, self.tokens))


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
