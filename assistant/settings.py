"""The application's settings object: every ``VIRA_*`` variable, read once, passed down."""

from __future__ import annotations

from pydantic import Field

from tools.settings import ToolSettings


class Settings(ToolSettings):
    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(7860, description="Port the web app listens on.")
