"""Tool calls a chat model wrote as text, in the forms small local models write them."""

from __future__ import annotations

import pytest

from assistant.written_calls import written_calls

TOOLS = {"encode_image", "search_knowledge", "answer_with_vlm"}


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>\n{"name": "encode_image", "arguments": {"image": "img-1"}}\n</tool_call>',
        '<tools>\n{"name": "encode_image", "arguments": {"image": "img-1"}}\n</tools>',
        '```json\n{"name": "encode_image", "arguments": {"image": "img-1"}}\n```',
        '{"name": "encode_image", "parameters": {"image": "img-1"}}',
        '{"type": "function", "function": {"name": "encode_image", "arguments": '
        '"{\\"image\\": \\"img-1\\"}"}}',
        'I will look first. {"name": "encode_image", "arguments": {"image": "img-1"}} Then.',
    ],
)
def test_one_call_in_the_common_forms(text):
    assert written_calls(text, TOOLS) == [
        {"name": "encode_image", "args": {"image": "img-1"}, "type": "tool_call", "id": "written-1"}
    ]


def test_several_calls_in_order_the_last_cut_off_by_the_token_limit():
    text = (
        '<tools>\n{"name": "encode_image", "arguments": {"image": "img-1"}}\n'
        '{"name": "search_knowledge", "arguments": {"query": "K7 warranty", "k": 5}}\n'
        '{"name": "answer_with_vlm", "arguments": {"question": "How long?", "passages": [1'
    )
    calls = written_calls(text, TOOLS, first_id=11)
    assert [c["name"] for c in calls] == ["encode_image", "search_knowledge", "answer_with_vlm"]
    assert calls[1]["args"] == {"query": "K7 warranty", "k": 5}
    assert calls[2]["args"] == {"question": "How long?", "passages": [1]}
    assert [c["id"] for c in calls] == ["written-11", "written-12", "written-13"]


@pytest.mark.parametrize(
    "text",
    [
        "The cat is brown.",
        '{"name": "delete_everything", "arguments": {}}',  # not one of the tools
        '{"name": "encode_image", "arguments": "not json"}',
        '{"colour": "brown", "name": "Tom"}',  # JSON, but no call
        "{'name': 'encode_image', 'arguments': {}}",  # not JSON, even when closed
        "Braces {x} and a set {1, 2} in prose.",
        "",
    ],
)
def test_no_call_where_there_is_none(text):
    assert written_calls(text, TOOLS) == []
