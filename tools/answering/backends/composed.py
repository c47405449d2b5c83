"""The offline default's model: image facts + passages + history -> a packaged small LLM.

The model never sees pixels; the image encoder's facts (labels, OCR text, colours) stand in
for them. It runs in llama.cpp's ``llama-server`` (``served.py``); this names the GGUF file and
how prompts are written for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools.answering.errors import BackendUnavailable
from tools.gguf import QWEN_CODER_1_5B, PackagedGguf

MAX_ANSWER_TOKENS = 256
CONTEXT_TOKENS = 4096


@dataclass(frozen=True)
class ComposedModel:
    model: PackagedGguf | Path = QWEN_CODER_1_5B
    models_dir: Path = Path("data/models")
    #: Repeat the rules after the question (a small model forgets them otherwise).
    rules_again: bool = False

    @property
    def key(self) -> str:
        name = self.model.filename if isinstance(self.model, PackagedGguf) else self.model.name
        return f"composed-{name}"

    def model_path(self) -> Path:
        """The GGUF file (a packaged model is assembled from its packages the first time)."""
        try:
            path = (
                self.model.assemble(self.models_dir)
                if isinstance(self.model, PackagedGguf)
                else Path(self.model)
            )
        except (OSError, ValueError) as exc:
            raise BackendUnavailable(f"cannot load {self.key}: {exc}") from None
        if not path.is_file():
            raise BackendUnavailable(f"cannot load {self.key}: no model file at {path}")
        return path
