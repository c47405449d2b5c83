"""The ``search_knowledge`` tool: the knowledge base as a LangChain tool with a typed schema."""

from __future__ import annotations

import inspect

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from knowledge_base import Hit, KnowledgeBase, KnowledgeBaseError


class SearchKnowledgeInput(BaseModel):
    query: str = Field(description="What to look for, in natural language or exact terms.")
    k: int = Field(5, ge=1, le=20, description="How many passages to return.")


def format_passages(hits: list[Hit]) -> str:
    """Numbered passages with their sources, as the model and the user see them."""
    if not hits:
        return "No passages found in the knowledge base."
    blocks = []
    for n, hit in enumerate(hits, start=1):
        where = hit.citation() + (f" › {hit.heading}" if hit.heading else "")
        label = "image text" if hit.kind == "image" else "passage"
        blocks.append(f"[{n}] ({label} from {where})\n{hit.text.strip()}")
    return "\n\n".join(blocks)


def make_search_knowledge(kb: KnowledgeBase) -> StructuredTool:
    """Bind the tool to one knowledge base; the hits travel along as the tool's artifact."""

    def search_knowledge(query: str, k: int = 5) -> tuple[str, list[Hit]]:
        """Search the user's knowledge base (their uploaded documents and images) and return
        numbered passages with their source file and page. Use it for facts that the image
        alone cannot answer; cite passages by their number, like [1]."""
        try:
            hits = kb.search(query, k=k)
        except KnowledgeBaseError as exc:
            return f"Knowledge search failed: {exc}", []
        return format_passages(hits), hits

    return StructuredTool.from_function(
        search_knowledge,
        description=inspect.cleandoc(search_knowledge.__doc__ or ""),
        args_schema=SearchKnowledgeInput,
        response_format="content_and_artifact",
    )
