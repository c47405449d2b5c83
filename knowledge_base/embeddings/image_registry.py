"""Image backends by name: ``packaged`` (offline default) or ``clip:<model id or path>``."""

from __future__ import annotations

from collections.abc import Callable

from knowledge_base.embeddings.clip import ClipBackend
from knowledge_base.embeddings.efficientnet import EfficientNetLiteBackend
from knowledge_base.embeddings.image_backend import ImageBackend

Factory = Callable[[str, str], ImageBackend]

IMAGE_BACKENDS: dict[str, Factory] = {
    "packaged": lambda _model, device: EfficientNetLiteBackend(device),
    "clip": lambda model, device: ClipBackend(model, device),
    "siglip": lambda model, device: ClipBackend(model, device),
}


def create_image_backend(spec: str, device: str = "cpu") -> ImageBackend:
    """``packaged`` | ``clip:openai/clip-vit-base-patch32`` | ``siglip:/models/siglip``."""
    name, _, model = spec.partition(":")
    factory = IMAGE_BACKENDS.get(name.strip().lower())
    if factory is None:
        raise ValueError(f"unknown image encoder {name!r}; choose from {sorted(IMAGE_BACKENDS)}")
    if name != "packaged" and not model:
        raise ValueError(
            f"{name} needs a model id or path, e.g. {name}:openai/clip-vit-base-patch32"
        )
    return factory(model, device)
