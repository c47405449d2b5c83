"""The application's settings object: every ``VIRA_*`` variable, read once, passed down."""

from __future__ import annotations

from typing import Literal

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
    sweep_seconds: float = Field(
        60, gt=0, description="How often, at most, a request starts the sweep of idle sessions."
    )
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
    answer_length: Literal["short", "detailed"] = Field(
        "short",
        description="short: one or two sentences; detailed: a paragraph with the details "
        "(the Chat tab's 'Detailed answers' box chooses per conversation).",
    )
    max_question_chars: int = Field(20_000, gt=0, description="Longer questions are refused.")
    max_images_per_turn: int = Field(8, gt=0, description="Images accepted in one message.")
    planner: str = Field(
        "deterministic",
        description="deterministic, or openai:<model> for a tool-calling model at "
        "VIRA_OPENAI_BASE_URL that plans with the same tools.",
    )
    admins: str = Field(
        "",
        description="Comma-separated user names that manage the shared knowledge base once "
        "a sign-in exists (VIRA_AUTH or Hugging Face sign-in on a Space).",
    )
    auth: str | None = Field(
        None,
        description="name:password,... for Gradio's own sign-in (a secret); unset = none.",
        repr=False,
    )
    space_id: str | None = Field(
        None,
        validation_alias=AliasChoices("space_id", "VIRA_SPACE_ID", "SPACE_ID"),
        description="Set by Hugging Face Spaces: sign in with Hugging Face; visitors read.",
    )
    oauth_client_id: str | None = Field(
        None,
        validation_alias=AliasChoices("oauth_client_id", "OAUTH_CLIENT_ID"),
        description="Set by a Space with hf_oauth: true: offers sign-in with Hugging Face.",
        repr=False,
    )
    questions_per_minute: int = Field(
        20, ge=0, description="Questions per minute per user or session (0 = no limit)."
    )
    upload_mb_per_hour: float = Field(
        200.0, ge=0, description="Megabytes a user or session may upload per hour (0 = none)."
    )
    max_user_documents: int = Field(
        200, ge=0, description="Documents of their own a user or session may keep (0 = any)."
    )
    audit_lines: int = Field(200, gt=0, description="Audit entries an admin sees at once.")
