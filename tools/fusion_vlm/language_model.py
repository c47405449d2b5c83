"""The language model: any transformers causal LM, loaded from an id, a directory, or a
packaged GGUF dequantised into PyTorch (cached as safetensors after the first, slow load)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from tools.gguf import (
    QWEN_CODER_0_5B,
    QWEN_CODER_1_5B,
    SMOLLM2_135M,
    PackagedGguf,
    WheelGguf,
)

PACKAGED: dict[str, PackagedGguf | WheelGguf] = {
    # 135M parameters, ~5x cheaper per training step than the 0.5B: the CPU demo's LM.
    "smollm2-135m": SMOLLM2_135M,
    "qwen2.5-coder-0.5b": QWEN_CODER_0_5B,
    "qwen2.5-coder-1.5b": QWEN_CODER_1_5B,
}


def load_language_model(spec: str, cache_dir: Path) -> tuple[Any, Any]:
    """(model, tokenizer) for ``spec``: an id or directory, or ``gguf:<packaged name>``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kind, _, name = spec.partition(":")
    if kind != "gguf":
        return AutoModelForCausalLM.from_pretrained(spec, dtype=torch.float32), (
            AutoTokenizer.from_pretrained(spec)
        )
    saved = cache_dir / f"{name}-dequantised"
    if not (saved / "config.json").exists():
        # Dequantising takes ~41 s and 3.9 GB for the 0.5B model: do it once, keep the result.
        packaged = PACKAGED[name]
        path = packaged.assemble(cache_dir)
        model = AutoModelForCausalLM.from_pretrained(
            str(path.parent), gguf_file=path.name, dtype=torch.float32
        )
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        # The weights are plain fp32 tensors now; transformers still marks the model as a GGUF
        # quantisation and refuses to save it unless that mark goes.
        model.hf_quantizer = None
        if getattr(model.config, "quantization_config", None) is not None:
            del model.config.quantization_config
        model.save_pretrained(saved)
        tokenizer.save_pretrained(saved)
    return AutoModelForCausalLM.from_pretrained(saved, dtype=torch.float32), (
        AutoTokenizer.from_pretrained(saved)
    )
