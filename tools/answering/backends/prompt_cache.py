"""llama.cpp prompt states kept in RAM, without the copy of the logits buffer.

llama-cpp-python's ``LlamaRAMCache`` stores, with every saved state, a copy of the whole
logits buffer (n_batch x vocabulary floats: 311 MB for Qwen2.5's 152k-token vocabulary), and
does not count it against its capacity: RSS grew by ~300 MB a turn, to 11 GB after 31 turns.
A restored state never needs those logits (llama-cpp-python always re-evaluates at least the
last prompt token after loading one), so only one row is kept, and the capacity counts
everything that is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_cpp import LlamaRAMCache
from llama_cpp.llama import LlamaState


class PromptStateCache(LlamaRAMCache):
    def __setitem__(self, key: Sequence[int], value: LlamaState) -> None:
        value.scores = value.scores[:1].copy()  # load_state broadcasts it over its rows
        super().__setitem__(key, value)

    @property
    def cache_size(self) -> int:
        return sum(
            state.llama_state_size + state.scores.nbytes + state.input_ids.nbytes
            for state in self.cache_state.values()
        )
