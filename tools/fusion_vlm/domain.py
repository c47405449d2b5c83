"""What a trained run learnt from, kept with it, and what that means when it is served: a model
trained on drawn shapes declines a photograph instead of calling a cat "a large red square",
and every answer it gives says what it was trained on."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.fusion_vlm.data import Example

SAMPLE = 48  # training pictures whose kind is measured
KNOWN_SHARE = 0.1  # a kind this common among the training pictures is one the model knows
COMMON_ANSWERS = 12


@dataclass(frozen=True)
class Domain:
    data: str  # what it was trained on: "easy_vqa", "vira (train.jsonl)"
    examples: int
    answers: int  # distinct answers in training
    common_answers: list[str] = field(default_factory=list)
    #: Share of sampled training pictures by kind ("photo", "graphic", "document"; "" unclear).
    kinds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Domain:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def known_kinds(self) -> set[str]:
        return {kind for kind, share in self.kinds.items() if kind and share >= KNOWN_SHARE}

    def covers(self, kind: str) -> bool:
        """Whether a picture of this kind is like the training pictures (a picture whose kind
        is unclear, or a model whose pictures were, gets the benefit of the doubt)."""
        known = self.known_kinds()
        return not kind or not known or kind in known

    def said(self) -> str:
        """ "easy_vqa (2,000 examples of graphics; answers such as circle, red, yes)"."""
        pictures = " and ".join(sorted(f"{k}s" for k in self.known_kinds())) or "pictures"
        such = ", ".join(self.common_answers[:6])
        answers = f"; answers such as {such}" if such else ""
        return f"{self.data} ({self.examples:,} examples of {pictures}{answers})"


def learnt_from(data: dict[str, Any], items: list[Example]) -> Domain:
    """The domain of a run trained on ``items`` read from ``data`` (its config's data)."""
    from PIL import Image

    from tools.vision.image_kind import image_kind

    where = data.get("path") or data.get("images") or ""
    name = data.get("format", "data") + (f" ({Path(where).name})" if where else "")
    answers = Counter(item.answer.strip().lower() for item in items if item.answer.strip())
    pictures = sorted({item.image for item in items})
    sample = pictures[:: max(1, len(pictures) // SAMPLE)][:SAMPLE]
    kinds: Counter[str] = Counter()
    for path in sample:
        try:
            with Image.open(path) as image:
                kinds[image_kind(image, [])] += 1
        except OSError:
            continue
    seen = sum(kinds.values()) or 1
    return Domain(
        data=name,
        examples=len(items),
        answers=len(answers),
        common_answers=[a for a, _ in answers.most_common(COMMON_ANSWERS)],
        kinds={kind: round(n / seen, 3) for kind, n in kinds.items()},
    )
