"""A planner's plumbing never reaches the user as an answer."""

from __future__ import annotations

import pytest

from tools.answering.finish import NO_ANSWER, finished
from tools.answering.plumbing import TOOL_NAMES, plumbing, without_plumbing


@pytest.mark.parametrize(
    "text",
    [
        '<tools>\n{"name": "encode_image", "arguments": {"image": "img-1"}}\n</tools>',
        '<tool_call>{"name": "x", "arguments": {}}</tool_call>',
        "I'll call search_knowledge with the question.",
        '{"name": "lookup", "arguments": {"q": 1}}',
        "To answer this question, I'll need to look at the image. Here's how I'll proceed:",
        "Here's the JSON response for each step:",
    ],
)
def test_plumbing_is_recognised(text):
    assert plumbing(text)


@pytest.mark.parametrize(
    "text",
    [
        "The image shows a tabby cat.",
        "The warranty lasts 3 years [1].",
        "Press the function button to call the lift.",
        "Error E7 means the kettle is empty [2].",
    ],
)
def test_answers_are_not_plumbing(text):
    assert not plumbing(text)


def _shown(pieces: list[str]) -> str:
    return "".join(without_plumbing(pieces, NO_ANSWER))


def test_an_answer_that_is_tool_json_says_it_does_not_know():
    pieces = [" ", "<tools>", '\n{"name": "encode_image", ', '"arguments": {}}', "\n</tools>"]
    assert _shown(pieces).strip() == NO_ANSWER
    assert "".join(finished(pieces, [])) == NO_ANSWER  # the finishing step of every answer


def test_an_answer_that_turns_to_plumbing_ends_where_it_turns():
    pieces = ["The", " cat", " is", " brown", ".", " Next", " I", " call", " encode", "_image"]
    assert _shown(pieces) == "The cat is brown. Next I call "


def test_answers_stream_unchanged():
    for pieces in (
        ["The", " image", " shows", " a", " cat", "."],
        ["[", "1", "] The", " manual", " says", " so", "."],
        ["<b>", "Bold", "</b>", " text"],
        ["```", "python\nprint(1)\n", "```"],
    ):
        assert _shown(pieces) == "".join(pieces)


def test_only_a_possible_tool_name_is_held_back():
    stream = without_plumbing(iter(["The", " cat", " is", " an", " animal", "."]), NO_ANSWER)
    assert [next(stream), next(stream), next(stream)] == ["The", " cat", " is"]


def test_the_filter_knows_the_name_of_every_tool_the_planner_model_sees():
    # The names are written twice (tools cannot import the tool modules from tools.answering
    # without a cycle): a renamed tool must be renamed here too.
    from tools import make_answer_with_vlm, make_encode_image, make_search_knowledge

    made = [make_encode_image(None), make_search_knowledge(None), make_answer_with_vlm(None, None)]
    assert sorted(tool.name for tool in made) == sorted(TOOL_NAMES)
