"""The fusion VLM's configuration, and a registry of named configurations (open_clip style):
``CONFIGS["efficientnet-qwen0.5b"]`` instead of branches on model names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal


@dataclass(frozen=True)
class FusionVLMConfig:
    #: ``efficientnet-lite0`` (packaged, offline) or ``hf:<id or path>`` (a transformers vision
    #: model: CLIP, SigLIP, ViT).
    vision: str = "efficientnet-lite0"
    #: A transformers causal LM: an id or a directory, or ``gguf:<dir>/<file>.gguf`` for a
    #: packaged GGUF dequantised into PyTorch.
    language_model: str = "gguf:qwen2.5-coder-0.5b"
    fusion: Literal["gated", "cross"] = "gated"  # gated: q = FFN([v; l; k]); cross: attention
    knowledge_dim: int = 384  # the passages' sentence embeddings (all-MiniLM-L6-v2)
    visual_tokens: int = 16  # the tower's tokens pooled down to this many
    projector_hidden: int = 1024
    #: ``mlp`` (LLaVA-1.5's, free vectors) or ``words``: a query transformer whose tokens are
    #: soft mixtures of the LM's word embeddings, aligned on captions (``word_projector.py``).
    projector: Literal["mlp", "words"] = "mlp"
    #: The words projector's vocabulary (LM token ids); empty: chosen from the training
    #: captions when training starts, then saved with the run.
    visual_words: tuple[int, ...] = ()
    #: FiLM: the question modulates the projector's hidden features (see ``projector.py``).
    question_conditioned: bool = False
    #: Each visual token scaled to the LM's typical word-embedding norm: left free, the
    #: projector grows them ~8x louder than words and the LM attends to them as a sink.
    match_word_norm: bool = False
    #: The visual tokens after the question, before "Answer:" (Qwen-VL and LLaVA put the
    #: image first): causal layers then read each picture token knowing what was asked.
    image_after_question: bool = False
    #: How the model reads retrieved passages: ``fusion`` (their sentence embeddings through
    #: the knowledge-fusion module), ``tokens`` (their words, each seeing its neighbours,
    #: through the cross-attention fusion) or ``text`` (put before the question, as it was
    #: trained with a reader's ``"knowledge": "text"``). Serving follows it.
    passages: Literal["fusion", "tokens", "text"] = "fusion"
    lm_loss_weight: float = 1.0
    contrastive_weight: float = 0.1  # InfoNCE between the image and its text
    #: The projector kept as it starts (aligned in stage 0, or from ``init_from``): only the
    #: LM's adapters and the fusion learn to read it.
    freeze_projector: bool = False
    freeze_language_model: bool = True  # stage 1: only projector, fusion and heads train
    lora_rank: int = 0  # stage 2: LoRA adapters on the LM (0 = none; needs peft)
    #: Which LM layers get adapters: peft's default for the architecture (attention q and v
    #: for Llama and Qwen) or ``all-linear`` (attention and MLP).
    lora_modules: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **changes: Any) -> FusionVLMConfig:
        return replace(self, **changes)


CONFIGS: dict[str, FusionVLMConfig] = {
    # Offline: the packaged classifier's feature map and the packaged 0.5B coder as the LM.
    "efficientnet-qwen0.5b": FusionVLMConfig(),
    # Offline and small enough to train on a laptop's CPU in minutes (the easy-VQA demo).
    "efficientnet-smollm2-135m": FusionVLMConfig(
        language_model="gguf:smollm2-135m", visual_tokens=4, projector_hidden=512
    ),
    # With a network: SigLIP's patch tokens and SmolLM2's 360M instruct model.
    "siglip-smollm2": FusionVLMConfig(
        vision="hf:google/siglip-base-patch16-224",
        language_model="HuggingFaceTB/SmolLM2-360M-Instruct",
        fusion="cross",
        visual_tokens=64,
    ),
}
