"""Callable tools (LangChain tools with typed schemas) the assistant plans with."""

from tools.knowledge_search import SearchKnowledgeInput, format_passages, make_search_knowledge

__all__ = ["SearchKnowledgeInput", "format_passages", "make_search_knowledge"]
