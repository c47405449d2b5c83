"""`search_knowledge` as a LangChain tool: schema, description, numbered cited passages."""

from __future__ import annotations

import pytest
from langchain_core.messages import ToolMessage
from pydantic import ValidationError

from tools import make_search_knowledge


@pytest.fixture
def tool(kb, tmp_path):
    (tmp_path / "fleet.md").write_text(
        "# Fleet\n\n## Trucks\n\nTruck T-88 needs new brake pads every 40,000 km."
    )
    (tmp_path / "menu.txt").write_text("The canteen serves lentil soup on Fridays.")
    kb.ingest([tmp_path / "fleet.md", tmp_path / "menu.txt"])
    return make_search_knowledge(kb)


def test_schema_and_description(tool):
    assert tool.name == "search_knowledge"
    assert tool.description.startswith("Search the user's knowledge base")
    assert "    " not in tool.description  # the docstring, dedented
    schema = tool.args
    assert schema["query"]["type"] == "string"
    assert schema["k"]["default"] == 5 and schema["k"]["maximum"] == 20


def test_returns_numbered_passages_with_sources(tool):
    text = tool.invoke({"query": "brake pads T-88", "k": 2})
    assert text.startswith("[1] (passage from fleet.md › Fleet > Trucks)\nTruck T-88")
    assert "[2] (passage from menu.txt)" in text


def test_tool_call_carries_hits_as_artifact(tool):
    msg = tool.invoke(
        {"type": "tool_call", "id": "c1", "name": "search_knowledge", "args": {"query": "soup"}}
    )
    assert isinstance(msg, ToolMessage)
    assert msg.artifact[0].source == "menu.txt"
    assert "[1] (passage from menu.txt)" in msg.content


def test_bad_arguments(tool):
    with pytest.raises(ValidationError):
        tool.invoke({"query": "x", "k": 0})
    assert tool.invoke({"query": "   "}) == "Knowledge search failed: the query is empty"


def test_empty_knowledge_base(kb):
    assert make_search_knowledge(kb).invoke({"query": "anything"}) == (
        "No passages found in the knowledge base."
    )
