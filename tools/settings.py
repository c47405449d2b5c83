"""Settings of the tools layer: the knowledge base's, plus the vision backends'."""

from __future__ import annotations

from pydantic import Field

from knowledge_base.settings import KnowledgeSettings


class ToolSettings(KnowledgeSettings):
    vlm: str = Field(
        "composed", description="composed | composed:small | transformers:<id> | openai:<model>"
    )
    openai_base_url: str | None = Field(None, description="OpenAI-compatible server, /v1 URL.")
    openai_api_key: str | None = Field(None, description="Key for that server, if it wants one.")
    openai_send_images: bool = Field(True, description="False for text-only models: send facts.")
