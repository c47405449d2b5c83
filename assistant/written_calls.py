"""Tool calls that a chat model wrote as text instead of through the tool-calling interface.

Small local models often do: Hermes/Qwen ``<tool_call>{...}</tool_call>``, tags of their own
(``<tools>``), fenced or bare JSON, several calls in one reply, the last one cut off by the
token limit. The server then returns no ``tool_calls``. Any JSON object in the text that names
one of the tools and carries its arguments is taken as a call, in order.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.utils.json import parse_partial_json

_ARGUMENTS = ("arguments", "parameters", "args", "input")
_DECODER = json.JSONDecoder()


def written_calls(text: str, tools: set[str], first_id: int = 1) -> list[dict[str, Any]]:
    """The tool calls written in ``text`` (LangChain's ``tool_calls`` shape), or []."""
    calls: list[dict[str, Any]] = []
    at = text.find("{")
    while at != -1:
        found, end = _object_at(text, at)
        call = _as_call(found, tools) if found is not None else None
        if call is not None:
            call["id"] = f"written-{first_id + len(calls)}"
            calls.append(call)
            at = text.find("{", end)
        else:
            at = text.find("{", at + 1)
    return calls


def _object_at(text: str, at: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except json.JSONDecodeError:
        pass
    # The reply's last call may be cut off by the token limit.
    try:
        partial = parse_partial_json(text[at:])
    except json.JSONDecodeError:  # not JSON even when closed: {'name': ...}, {x}
        return None, at + 1
    return (partial, len(text)) if isinstance(partial, dict) else (None, at + 1)


def _as_call(found: Any, tools: set[str]) -> dict[str, Any] | None:
    if not isinstance(found, dict):
        return None
    if isinstance(found.get("function"), dict):  # {"type": "function", "function": {...}}
        found = found["function"]
    name = found.get("name") or found.get("tool") or found.get("tool_name")
    if name not in tools:
        return None
    args = next((found[key] for key in _ARGUMENTS if key in found), {})
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            return None
    return {"name": name, "args": args, "type": "tool_call"} if isinstance(args, dict) else None
