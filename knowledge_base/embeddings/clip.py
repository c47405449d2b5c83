"""CLIP / SigLIP through transformers: a joint text-image space and zero-shot labels."""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

from knowledge_base.embeddings.image_backend import Label
from knowledge_base.embeddings.imagenet import imagenet_names

PROMPT = "a photo of a {}."


class ClipBackend:
    """Any CLIP-style model id or local path that ``AutoModel``/``AutoProcessor`` load."""

    joint_text_space = True

    def __init__(self, model_id: str, device: str = "cpu", vocabulary: list[str] | None = None):
        self.model_id = model_id
        self.key = f"clip-{model_id}"
        self.device = device
        self.vocabulary = vocabulary or imagenet_names()
        self._loaded: tuple | None = None
        self._label_vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple:
        with self._lock:
            if self._loaded is None:
                from transformers import AutoModel, AutoProcessor

                processor = AutoProcessor.from_pretrained(self.model_id)
                model = AutoModel.from_pretrained(self.model_id).eval().to(self.device)
                self._loaded = (model, processor)
            return self._loaded

    @staticmethod
    def _unit(vectors) -> np.ndarray:  # noqa: ANN001 - a tensor or a model output
        tensor = getattr(vectors, "pooler_output", vectors)  # transformers 5 returns outputs
        array = tensor.detach().float().cpu().numpy()
        return (array / np.linalg.norm(array, axis=-1, keepdims=True)).astype(np.float32)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        import torch

        model, processor = self._load()
        inputs = processor(text=texts, return_tensors="pt", padding=True, truncation=True)
        with torch.inference_mode():
            return self._unit(model.get_text_features(**inputs.to(self.device)))

    def embed_and_label(
        self, images: list[Image.Image], top_k: int
    ) -> tuple[np.ndarray, list[list[Label]]]:
        import torch

        model, processor = self._load()
        inputs = processor(images=[img.convert("RGB") for img in images], return_tensors="pt")
        with torch.inference_mode():
            vectors = self._unit(model.get_image_features(**inputs.to(self.device)))
        if self._label_vectors is None:
            self._label_vectors = self.embed_text([PROMPT.format(v) for v in self.vocabulary])
        scale = float(getattr(model, "logit_scale", torch.tensor(4.6052)).detach().exp())
        logits = scale * vectors @ self._label_vectors.T
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        labels = []
        for row in probs:
            best = np.argsort(row)[::-1][:top_k]
            labels.append([Label(self.vocabulary[i], round(float(row[i]), 4)) for i in best])
        return vectors, labels
