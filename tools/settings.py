"""Settings of the tools layer: the knowledge base's, plus the vision backends'."""

from __future__ import annotations

from pydantic import Field

from knowledge_base.settings import KnowledgeSettings


class ToolSettings(KnowledgeSettings):
    image_encoder: str = Field(
        "packaged", description="packaged (offline) or clip:<model id or path>."
    )
