"""ImageNet-1k class names, shipped with the project (knowledge_base/data/imagenet_labels.txt)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

LABEL_FILE = Path(__file__).resolve().parents[1] / "data" / "imagenet_labels.txt"


@cache
def imagenet_classes() -> list[tuple[str, ...]]:
    """Per class index, its names (first = the display name): ('tabby', 'tabby cat')."""
    rows = [
        line.split("\t", 1)[1]
        for line in LABEL_FILE.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(rows) == 1000, f"{LABEL_FILE} must list 1000 classes, not {len(rows)}"
    return [tuple(name.strip() for name in row.split(",") if name.strip()) for row in rows]


def imagenet_names() -> list[str]:
    return [names[0] for names in imagenet_classes()]
