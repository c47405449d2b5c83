"""The modality projector: vision tokens pooled to a fixed count and mapped into the language
model's embedding space by a two-layer MLP (the LLaVA-1.5 projector)."""

from __future__ import annotations

import torch
from torch import nn


class ModalityProjector(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, tokens: int, hidden: int) -> None:
        super().__init__()
        self.tokens = tokens
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """[B, N, in_dim] -> [B, tokens, out_dim]."""
        if features.shape[1] != self.tokens:
            pooled = nn.functional.adaptive_avg_pool1d(features.transpose(1, 2), self.tokens)
            features = pooled.transpose(1, 2)
        return self.mlp(features)
