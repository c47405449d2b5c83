"""The tools the assistant plans with: plain typed functions (both planners call them) and the
LangChain tools with typed schemas that wrap the same functions for a tool-calling model."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from tools.errors import ToolError
from tools.settings import ToolSettings

if TYPE_CHECKING:
    from tools.image_encoder import EncodeImageInput, encode_image, make_encode_image
    from tools.knowledge_search import (
        SearchKnowledgeInput,
        format_passages,
        make_search_knowledge,
        search_knowledge,
    )
    from tools.vlm import AnswerWithVlmInput, answer_with_vlm, make_answer_with_vlm

# The tools import the vision models and LangChain (seconds). They load when first named, so
# that the answering backends import light: the app starts its answering model before them.
_LAZY = {
    "EncodeImageInput": "tools.image_encoder",
    "encode_image": "tools.image_encoder",
    "make_encode_image": "tools.image_encoder",
    "SearchKnowledgeInput": "tools.knowledge_search",
    "format_passages": "tools.knowledge_search",
    "make_search_knowledge": "tools.knowledge_search",
    "search_knowledge": "tools.knowledge_search",
    "AnswerWithVlmInput": "tools.vlm",
    "answer_with_vlm": "tools.vlm",
    "make_answer_with_vlm": "tools.vlm",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AnswerWithVlmInput",
    "EncodeImageInput",
    "SearchKnowledgeInput",
    "ToolError",
    "ToolSettings",
    "answer_with_vlm",
    "encode_image",
    "format_passages",
    "make_answer_with_vlm",
    "make_encode_image",
    "make_search_knowledge",
    "search_knowledge",
]
