"""Answering backends by name (``VIRA_VLM``):

- ``composed`` (offline default): the packaged Qwen2.5-Coder-1.5B reads image facts.
- ``composed:small``: the packaged 0.5B for small machines, with citations added in code.
- ``composed:/path/model.gguf``: any chat GGUF.
- ``transformers:<model id or path>``: an image-text-to-text model (GPU when present).
- ``openai:<model>``: an OpenAI-compatible server at ``VIRA_OPENAI_BASE_URL``.
- ``fusion:<run dir>``: Vira's own fusion VLM, trained by ``python -m tools.fusion.train``
  (``trained:`` is its earlier name).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tools.fusion.backends.base import FusionBackend
from tools.fusion.backends.composed import ComposedBackend
from tools.fusion.backends.fusion_vlm import FusionVLMBackend
from tools.fusion.backends.openai_compat import OpenAIBackend
from tools.fusion.backends.transformers_vlm import TransformersBackend
from tools.fusion.gguf import QWEN_CODER_0_5B, QWEN_CODER_1_5B
from tools.settings import ToolSettings

Factory = Callable[[str, ToolSettings], FusionBackend]


def _composed(model: str, settings: ToolSettings) -> FusionBackend:
    models_dir = settings.data_dir / "models"
    if model in ("", "default"):
        return ComposedBackend(QWEN_CODER_1_5B, models_dir)
    if model == "small":
        return ComposedBackend(QWEN_CODER_0_5B, models_dir, rules_again=True)
    return ComposedBackend(Path(model), models_dir)


def _openai(model: str, settings: ToolSettings) -> FusionBackend:
    if not settings.openai_base_url:
        raise ValueError("VIRA_VLM=openai:... needs VIRA_OPENAI_BASE_URL")
    return OpenAIBackend(
        model or "default",
        settings.openai_base_url,
        settings.openai_api_key,
        send_images=settings.openai_send_images,
    )


VLM_BACKENDS: dict[str, Factory] = {
    "composed": _composed,
    "transformers": lambda model, s: TransformersBackend(model, s.device),
    "openai": _openai,
    "fusion": lambda run, s: FusionVLMBackend(Path(run), s.data_dir / "models"),
    "trained": lambda run, s: FusionVLMBackend(Path(run), s.data_dir / "models"),
}


def create_vlm(settings: ToolSettings) -> FusionBackend:
    name, _, model = settings.vlm.partition(":")
    factory = VLM_BACKENDS.get(name.strip().lower())
    if factory is None:
        raise ValueError(f"unknown VLM backend {name!r}; choose from {sorted(VLM_BACKENDS)}")
    if name in ("transformers", "fusion", "trained") and not model:
        raise ValueError(
            f"{name} needs a model: transformers:HuggingFaceTB/SmolVLM-256M-Instruct or "
            "fusion:runs/stage1"
        )
    return factory(model, settings)
