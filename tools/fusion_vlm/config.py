"""The fusion VLM's configuration, and a registry of named configurations (open_clip style):
``CONFIGS["efficientnet-smollm2-135m"]`` instead of branches on model names. The defaults are
the measured CPU demo's model (``docs/training.md``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

#: Options that measured no better and were removed (``docs/measured/``), with the value that
#: meant "off": a saved run that left them off still loads.
RETIRED = {
    "question_conditioned": False,
    "match_word_norm": False,
    "image_after_question": False,
    "lm_loss_weight": 1.0,
    "lora_modules": None,
    "extra": {},
}
#: Values of kept options that were removed for the same reason.
RETIRED_VALUES = {"passages": "tokens", "vision": "efficientnet-lite0"}


@dataclass(frozen=True)
class FusionVLMConfig:
    #: ``efficientnet-lite0-pyramid`` (packaged, offline) or ``hf:<id or path>`` (a
    #: transformers vision model: CLIP, SigLIP, ViT).
    vision: str = "efficientnet-lite0-pyramid"
    #: A transformers causal LM: an id or a directory, or ``gguf:<name>`` for a packaged GGUF
    #: dequantised into PyTorch (``language_model.py``).
    language_model: str = "gguf:smollm2-135m"
    fusion: Literal["gated", "cross"] = "gated"  # gated: q = FFN([v; l; k]); cross: attention
    knowledge_dim: int = 384  # the passages' sentence embeddings (all-MiniLM-L6-v2)
    visual_tokens: int = 4  # the tower's tokens pooled down to this many
    projector_hidden: int = 512  # the MLP projector's hidden width
    #: ``mlp`` (LLaVA-1.5's, free vectors) or ``words``: a query transformer whose tokens are
    #: soft mixtures of the LM's word embeddings, aligned on captions (``word_projector.py``).
    projector: Literal["mlp", "words"] = "mlp"
    #: The words projector's vocabulary (LM token ids); empty: chosen from the training
    #: captions when training starts, then saved with the run.
    visual_words: tuple[int, ...] = ()
    #: How the model reads retrieved passages: ``fusion`` (their sentence embeddings through
    #: the knowledge-fusion module), ``text`` (put before the question, as it was trained
    #: with a reader's ``"knowledge": "text"``) or ``select`` (the passage selector scores each
    #: against the picture and the question; the chosen one's words go before the question).
    #: Serving follows it.
    passages: Literal["fusion", "text", "select"] = "fusion"
    contrastive_weight: float = 0.1  # InfoNCE between the image and its text, beside the LM's
    #: The projector kept as it starts (aligned in stage 0, or from ``init_from``): only the
    #: LM's adapters and the fusion learn to read it.
    freeze_projector: bool = False
    freeze_language_model: bool = True  # stage 1: only projector, fusion and heads train
    lora_rank: int = 0  # stage 2: LoRA adapters on the LM's attention (0 = none; needs peft)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **changes: Any) -> FusionVLMConfig:
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> FusionVLMConfig:
        """A saved run's configuration; one that used a removed option is refused by name."""
        used = [f"{k}={v!r}" for k, v in saved.items()
                if (k in RETIRED and v != RETIRED[k]) or RETIRED_VALUES.get(k) == v]  # fmt: skip
        if used:
            raise ValueError(
                f"this run was trained with {', '.join(used)}, which Vira no longer has (it "
                "measured no better: docs/measured/fusion_scenes_diagnosis.json); retrain it"
            )
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in saved.items() if k in known}
        return cls(**kept | {"visual_words": tuple(kept.get("visual_words", ()))})


CONFIGS: dict[str, FusionVLMConfig] = {
    # Offline and small enough to train on a laptop's CPU: the packaged classifier's feature
    # pyramid and SmolLM2-135M (the easy-VQA and scenes demos).
    "efficientnet-smollm2-135m": FusionVLMConfig(),
    # With a network, on a GPU: SigLIP's patch tokens and SmolLM2's 360M instruct model.
    "siglip-smollm2": FusionVLMConfig(
        vision="hf:google/siglip-base-patch16-224",
        language_model="HuggingFaceTB/SmolLM2-360M-Instruct",
        fusion="cross",
        visual_tokens=64,
        projector_hidden=1024,
    ),
}
