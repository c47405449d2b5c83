"""Text embeddings through sentence-transformers, as a Chroma ``EmbeddingFunction``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from knowledge_base.embeddings.cosine import CosineSpace
from knowledge_base.embeddings.registry import resolve_text_model


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16/AMX or Arm BF16); where it only
    emulates it, bf16 is slower than fp32."""
    try:
        flags = set(cpuinfo.read_text().split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def resolve_batch(batch_size: int | str, device: str) -> int:
    """``auto``: 16 texts a batch on a CPU, 64 on a GPU. On two cores batch 16 encodes about 10%
    faster than 64 with the same vectors (``docs/measured/text_embedder_batch.json``): sorted by
    length, smaller batches pad less, and a CPU gains nothing from wider ones."""
    if batch_size != "auto":
        return int(batch_size)
    return 64 if device.startswith("cuda") else 16


def resolve_precision(precision: str, device: str) -> str:
    if precision != "auto":
        return precision
    return "bf16" if device.startswith("cuda") or native_bf16() else "fp32"


@register_embedding_function
class SentenceTransformerEmbedding(CosineSpace, EmbeddingFunction[Documents]):
    """Normalised sentence embeddings; the model loads on first use, once, thread-safely."""

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        device: str = "auto",
        batch_size: int | str = "auto",
        precision: str = "auto",
    ):
        self.model_name = model
        self.device = device
        self.batch_size = batch_size
        # bf16 autocast: 2.5x the fp32 throughput on a CPU with AVX512-BF16, and embeddings
        # within cosine 0.9999 of fp32 (matmuls in bf16, norms and softmax kept in fp32).
        self.precision = precision
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # noqa: ANN201 - SentenceTransformer is imported lazily
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()  # no weight-loading bars in the CLI

                    self._model = SentenceTransformer(
                        resolve_text_model(self.model_name), device=resolve_device(self.device)
                    )
        return self._model

    @property
    def tokenizer(self):  # noqa: ANN201 - a transformers tokenizer
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        model = self.model
        device = str(model.device)
        bf16 = resolve_precision(self.precision, device) == "bf16"
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            vectors = model.encode(
                list(texts),
                batch_size=resolve_batch(self.batch_size, device),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.encode(list(input)))

    @staticmethod
    def name() -> str:
        return "vira-sentence-transformer"

    def get_config(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "device": self.device,
            "batch_size": self.batch_size,
            "precision": self.precision,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SentenceTransformerEmbedding:
        return SentenceTransformerEmbedding(
            config.get("model", "all-MiniLM-L6-v2"),
            config.get("device", "auto"),
            config.get("batch_size", "auto"),
            config.get("precision", "auto"),
        )
