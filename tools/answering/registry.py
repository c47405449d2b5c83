"""Answering backends by name (``VIRA_VLM``):

- ``composed`` (offline default): the packaged Qwen2.5-Coder-1.5B reads image facts; served by
  llama.cpp's ``llama-server`` (``VIRA_LLAMA_SERVER``), which decodes many users' answers at once.
- ``composed:small``: the packaged 0.5B for small machines, with citations added in code.
- ``composed:/path/model.gguf``: any chat GGUF.
- ``transformers:<model id or path>``: an image-text-to-text model (GPU when present).
- ``openai:<model>``: an OpenAI-compatible server at ``VIRA_OPENAI_BASE_URL``.
- ``fusion:<run dir>``: Vira's own fusion VLM, trained by ``python -m tools.fusion_vlm.train``
  (``trained:`` is its earlier name).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tools.answering.backends.base import AnswerBackend
from tools.answering.backends.composed import CONTEXT_TOKENS, ComposedModel
from tools.answering.backends.fusion_vlm import FusionVLMBackend
from tools.answering.backends.llama_server import ServerOptions, installed_binary, split_args
from tools.answering.backends.openai_compat import OpenAIBackend
from tools.answering.backends.served import ServedBackend
from tools.answering.backends.transformers_vlm import TransformersBackend
from tools.gguf import QWEN_CODER_0_5B, QWEN_CODER_1_5B
from tools.settings import ToolSettings

Factory = Callable[[str, ToolSettings], AnswerBackend]


def _composed(model: str, settings: ToolSettings) -> AnswerBackend:
    models_dir = settings.data_dir / "models"
    if model in ("", "default"):
        composed = ComposedModel(QWEN_CODER_1_5B, models_dir)
    elif model == "small":
        composed = ComposedModel(QWEN_CODER_0_5B, models_dir, rules_again=True)
    else:
        composed = ComposedModel(Path(model), models_dir)
    options = ServerOptions(
        slots=settings.server_slots,
        context_per_slot=CONTEXT_TOKENS,
        mmproj=settings.server_mmproj,
        extra_args=split_args(settings.server_args),
    )
    binary = _server_binary(settings.llama_server)
    return ServedBackend(composed, binary, options, settings.data_dir / "logs/llama-server.log")


def _server_binary(choice: str) -> Path | None:
    """The llama-server to run; None when none is installed (a question then says so)."""
    if choice.strip().lower() in ("off", "no", "false", "0", "in-process"):
        raise ValueError(
            f"VIRA_LLAMA_SERVER={choice}: answering in-process was removed (no faster than "
            "llama-server); leave it at auto, or name a llama-server binary"
        )
    if choice.strip().lower() in ("auto", ""):
        return installed_binary()
    path = Path(choice).expanduser()
    if not path.is_file():
        raise ValueError(f"VIRA_LLAMA_SERVER: no llama-server binary at {path}")
    return path


def _openai(model: str, settings: ToolSettings) -> AnswerBackend:
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


def create_vlm(settings: ToolSettings) -> AnswerBackend:
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
