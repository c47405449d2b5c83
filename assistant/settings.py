"""The application's settings object: every ``VIRA_*`` variable, read once, passed down."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from tools.settings import ToolSettings


class Settings(ToolSettings):
    # Gradio's own variables come second: Hugging Face Spaces sets GRADIO_SERVER_NAME=0.0.0.0,
    # and an app bound to 127.0.0.1 there is unreachable.
    host: str = Field(
        "127.0.0.1",
        validation_alias=AliasChoices("host", "VIRA_HOST", "GRADIO_SERVER_NAME"),
        description="Address the web app listens on (or GRADIO_SERVER_NAME).",
    )
    port: int = Field(
        7860,
        validation_alias=AliasChoices("port", "VIRA_PORT", "GRADIO_SERVER_PORT"),
        description="Port the web app listens on (or GRADIO_SERVER_PORT).",
    )
    session_ttl_hours: float = Field(24 * 7, gt=0, description="Idle sessions are deleted.")
    history_tokens: int = Field(1200, gt=0, description="Conversation kept in the prompt.")
    passages: int = Field(5, ge=1, le=20, description="Passages retrieved per turn.")
    relevance: float = Field(0.2, description="Min. similarity of a passage (no image).")
    relevance_with_images: float = Field(
        0.4, description="Min. similarity of a passage when the turn is about images."
    )
    picture_relevance: float = Field(
        0.45,
        description="Min. similarity of a knowledge-base picture's caption to a question "
        "(the packaged encoder's label captions; about 0.25 suits a CLIP image encoder).",
    )
    max_question_chars: int = Field(20_000, gt=0, description="Longer questions are refused.")
    max_images_per_turn: int = Field(8, gt=0, description="Images accepted in one message.")
    planner: str = Field(
        "deterministic",
        description="deterministic, or openai:<model> for a tool-calling model at "
        "VIRA_OPENAI_BASE_URL that plans with the same tools.",
    )
