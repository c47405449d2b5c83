"""The visual-words projector: a query transformer (BLIP-2's Q-Former, DETR's object queries)
whose every output token is a word of the language model's own vocabulary, softly.

``tokens`` learned queries attend, through a small transformer decoder, to the vision tower's
tokens (with their place in the grid added as 2-D sinusoids); each query's state is scored
against the LM's word embeddings of a fixed vocabulary, and the token the LM reads is the
softmax-weighted mixture of those embeddings. Aligned on captions position by position
(``tools/fusion_vlm/align.py``), query k says the k-th caption word: for the scenes, whose
captions name objects left to right, "a large red square, a small blue circle and ...". The
LM then reads the picture as it reads text, where the MLP projector's free vectors stayed a
soft prompt that bound no colour to its shape (``docs/measured/fusion_scenes_diagnosis.json``).

The output head is tied to the word embeddings, so no weight depends on the vocabulary's
size: the vocabulary (token ids, in the model's config) is chosen from the training captions
when training starts.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class WordProjector(nn.Module):
    def __init__(
        self, in_dim: int, out_dim: int, tokens: int, width: int = 256, layers: int = 2
    ) -> None:
        super().__init__()
        self.tokens, self.width = tokens, width
        self.inp = nn.Sequential(nn.LayerNorm(in_dim), nn.Linear(in_dim, width))
        self.queries = nn.Parameter(torch.randn(tokens, width) * 0.02)
        layer = nn.TransformerDecoderLayer(
            width, nhead=4, dim_feedforward=4 * width, dropout=0.0, batch_first=True,
            norm_first=True,
        )  # fmt: skip
        self.decoder = nn.TransformerDecoder(layer, layers)
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, out_dim)

    def logits(self, features: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        """[B, N, in_dim] tower tokens, [V, out_dim] word embeddings -> [B, tokens, V]."""
        # In the parameters' dtype: kept frozen in bf16 training, they are stored in bf16.
        memory = self.inp(features.to(self.queries.dtype))
        memory = memory + grid_positions(memory.shape[1], self.width).to(memory)
        queries = self.queries.unsqueeze(0).expand(len(features), -1, -1)
        state = self.norm(self.decoder(queries, memory))
        return self.out(state) @ words.to(state.dtype).T

    def forward(self, features: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        """The tokens the LM reads: mixtures of ``words``, [B, tokens, out_dim]."""
        weights = self.logits(features, words).softmax(-1)
        return weights @ words.to(weights.dtype)


def grid_positions(n: int, width: int) -> torch.Tensor:
    """[n, width] fixed position codes: a square grid's row and column as two sinusoid halves
    (left and right must be told apart); any other sequence by its index."""
    side = math.isqrt(n)
    if side * side == n:
        rows = torch.arange(n) // side
        cols = torch.arange(n) % side
        return torch.cat([_sinusoid(rows, width // 2), _sinusoid(cols, width - width // 2)], -1)
    return _sinusoid(torch.arange(n), width)


def _sinusoid(position: torch.Tensor, width: int) -> torch.Tensor:
    half = max(1, width // 2)
    rate = torch.exp(-math.log(100.0) * torch.arange(half) / half)
    angle = position.float().unsqueeze(1) * rate.unsqueeze(0)
    return torch.cat([angle.sin(), angle.cos()], -1)[:, :width]
