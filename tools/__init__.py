"""Callable tools (LangChain tools with typed schemas) the assistant plans with."""

from tools.image_encoder import EncodeImageInput, make_encode_image
from tools.knowledge_search import SearchKnowledgeInput, format_passages, make_search_knowledge
from tools.settings import ToolSettings

__all__ = [
    "EncodeImageInput",
    "SearchKnowledgeInput",
    "ToolSettings",
    "format_passages",
    "make_encode_image",
    "make_search_knowledge",
]
