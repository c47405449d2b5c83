"""``search_knowledge``: the knowledge base, for the planners and as a LangChain tool."""

from __future__ import annotations

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from knowledge_base import Hit, Kind, KnowledgeBase, KnowledgeBaseError
from knowledge_base.instructions import inert
from knowledge_base.shelves import Shelves
from tools.errors import ToolError
from tools.langchain_tool import langchain_tool


def search_knowledge(
    kb: KnowledgeBase | Shelves, query: str, k: int = 5, kind: Kind | None = None
) -> list[Hit]:
    """Passages ranked by hybrid search (``kind="image"``: pictures only). Raises
    ``ToolError`` when the search cannot run."""
    try:
        return kb.search(query, k=k, kind=kind)
    except KnowledgeBaseError as exc:
        raise ToolError(f"Knowledge search failed: {exc}") from None


def format_passages(hits: list[Hit]) -> str:
    """Numbered passages with their sources, as the model and the user see them."""
    if not hits:
        return "No passages found in the knowledge base."
    blocks = []
    for n, hit in enumerate(hits, start=1):
        where = hit.citation() + (f" › {hit.heading}" if hit.heading else "")
        label = "image text" if hit.kind == "image" else "passage"
        blocks.append(f"[{n}] ({label} from {where})\n{inert(hit.text).strip()}")
    return "\n\n".join(blocks)


class SearchKnowledgeInput(BaseModel):
    query: str = Field(description="What to look for, in natural language or exact terms.")
    k: int = Field(5, ge=1, le=20, description="How many passages to return.")


def make_search_knowledge(kb: KnowledgeBase | Shelves) -> StructuredTool:
    """The LangChain tool over one knowledge base; the hits travel along as its artifact."""

    def search(query: str, k: int = 5) -> tuple[str, list[Hit]]:
        """Search the user's knowledge base (their uploaded documents and images) and return
        numbered passages with their source file and page. Use it for facts that the image
        alone cannot answer; cite passages by their number, like [1]."""
        hits = search_knowledge(kb, query, k)
        return format_passages(hits), hits

    return langchain_tool("search_knowledge", SearchKnowledgeInput, search)
