"""Knowledge-base settings: the `VIRA_*` variables the knowledge base needs.

Every layer's settings extend this class (``assistant.Settings`` is a subclass), so the
environment is read in one place by one mechanism and the same object is passed down.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir(persistent: Path = Path("/data")) -> Path:
    """``/data/vira`` where persistent storage is mounted (Hugging Face Spaces), else ./data."""
    return persistent / "vira" if os.access(persistent, os.W_OK) else Path("data")


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VIRA_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where Chroma, caches and sessions live."
    )
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Registered name (packaged, offline) or any sentence-transformers id/path.",
    )
    device: str = Field("auto", description="auto, cpu or cuda.")
    embedding_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto = bf16 on CUDA and on CPUs with native bf16, else fp32."
    )
    max_upload_mb: float = Field(50.0, gt=0, description="Largest accepted file.")
    max_pages: int = Field(2000, gt=0, description="Largest accepted PDF page count.")
    chunk_tokens: int = Field(200, gt=16, description="Chunk size in embedding tokens.")
    chunk_overlap: int = Field(40, ge=0, description="Overlap between chunks in tokens.")
    ocr: bool = Field(True, description="OCR images and PDF pages without a text layer.")
    image_encoder: str = Field(
        "packaged", description="packaged (offline) or clip:<model id or path>."
    )

    @field_validator("chroma_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
