"""The tools the assistant plans with: plain typed functions (both planners call them) and the
LangChain tools with typed schemas that wrap the same functions for a tool-calling model."""

from tools.errors import ToolError
from tools.image_encoder import EncodeImageInput, encode_image, make_encode_image
from tools.knowledge_search import (
    SearchKnowledgeInput,
    format_passages,
    make_search_knowledge,
    search_knowledge,
)
from tools.settings import ToolSettings
from tools.vlm import AnswerWithVlmInput, answer_with_vlm, make_answer_with_vlm

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
