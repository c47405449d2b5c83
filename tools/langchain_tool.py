"""Wrapping a plain tool function as a LangChain tool, the same way for every tool."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel

from tools.errors import ToolError


def langchain_tool(
    name: str, schema: type[BaseModel], run: Callable[..., tuple[str, Any]]
) -> StructuredTool:
    """A tool whose description is ``run``'s docstring. ``run`` returns (what the model reads,
    the result as an artifact); a ``ToolError`` becomes the message the model reads instead,
    with no artifact, so that the model can correct its call."""

    def call(**args: Any) -> tuple[str, Any]:
        try:
            return run(**args)
        except ToolError as exc:
            return str(exc), None

    return StructuredTool.from_function(
        call,
        name=name,
        description=inspect.cleandoc(run.__doc__ or ""),
        args_schema=schema,
        response_format="content_and_artifact",
    )
