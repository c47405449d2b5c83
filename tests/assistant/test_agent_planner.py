"""The tool-calling planner, driven by a scripted fake chat model. A fake is used only here:
no tool-calling chat model runs offline on these machines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from PIL import Image
from pydantic import Field
from skimage import data

from assistant import Assistant, Settings
from assistant.agent import FELL_BACK, REPAIR
from assistant.assistant import PLANNER_MAX_TOKENS, PLANNER_TIMEOUT_S, _planner_model
from tests import factories

pytestmark = pytest.mark.slow


class ScriptedChatModel(FakeMessagesListChatModel):
    """FAKE: replays scripted tool calls and records what it was shown."""

    bound: list = Field(default_factory=list)
    seen: list = Field(default_factory=list)

    def bind_tools(self, tools, **kwargs):
        self.bound = [t.name for t in tools]
        return self

    def _generate(self, messages, *args, **kwargs):
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def _call(name: str, args: dict, n: int) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"c{n}"}])


@pytest.fixture
def composed(served_vlm):
    return served_vlm


def test_planner_uses_the_same_tools_and_events(make_kb, composed, tmp_path):
    doc = tmp_path / "cats.md"
    doc.write_text("# Cats\n\nAdult cats sleep about 15 hours a day.")
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    script = ScriptedChatModel(
        responses=[
            _call("encode_image", {"image": "img-1"}, 1),
            _call("search_knowledge", {"query": "how long do cats sleep", "k": 3}, 2),
            _call(
                "answer_with_vlm",
                {
                    "question": "What animal is this and how long does it sleep?",
                    "image_ids": ["img-1"],
                    "passages": [1],
                },
                3,
            ),
        ]
    )  # fmt: skip
    kb = make_kb()
    kb.ingest([doc])
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=kb, vlm=composed,
                          chat_model=script)  # fmt: skip
    events = list(
        assistant.session("s").ask("What animal is this and how long does it sleep?", [cat])
    )
    assert set(script.bound) == {"search_knowledge", "encode_image", "answer_with_vlm"}
    planner_prompt = script.seen[0][0].content
    assert re.search(r"Images in this conversation: img-1 \(\w", planner_prompt)
    calls = [e.tool for e in events if e.kind == "tool_call"]
    assert calls == ["encode_image", "encode_image", "search_knowledge", "answer_with_vlm"]
    looked = [e for e in events if e.kind == "tool_result" and e.tool == "encode_image"][1]
    facts = looked.data["content"]
    assert "no such image" not in facts.lower() and re.search(r"\b(tabby|tiger cat)\b", facts)
    assert re.search(r"\b(tabby|tiger cat)\b", script.seen[1][-1].content)  # shown to the model
    answer = events[-1].answer
    assert events[-1].kind == "answer" and answer.images_used == ["img-1"]
    assert re.search(r"\bcat\b", answer.text, re.I) and "15" in answer.text
    assert answer.sources[0].hit.source.endswith("cats.md") and answer.sources[0].cited
    tokens = "".join(e.text for e in events if e.kind == "token")
    assert tokens == answer.text  # what streamed is what was stored
    stored = assistant.memory.history("s", 10_000)
    assert stored[-1].text == answer.text


def test_planner_is_told_about_an_unknown_image_or_passage(make_kb, composed, tmp_path):
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    script = ScriptedChatModel(
        responses=[
            _call("encode_image", {"image": "img-7"}, 1),
            _call("answer_with_vlm", {"question": "What is it?", "passages": [3]}, 2),
            AIMessage(content="[1]"),
        ]
    )
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=composed,
                          chat_model=script)  # fmt: skip
    events = list(assistant.session("s").ask("What is it?", [cat]))
    results = [e.data.get("content", "") for e in events if e.kind == "tool_result"]
    assert "No image 'img-7' in this conversation (it has: img-1)" in results[1]
    assert "No passage 3" in results[2]
    assert script.seen[2][-1].content.startswith("No passage 3")  # the model was told
    # A reply in its own words (marks alone here) is no answer: the built-in planner answers.
    assert [e.text for e in events if e.kind == "status"][-1] == FELL_BACK
    assert re.search(r"\bcat\b", events[-1].answer.text, re.I), events[-1].answer.text


@pytest.mark.parametrize(
    "reply",
    ["No image 'img-1' in this conversation (it has: none)", "I apologize, but I can't assist."],
)
def test_an_answer_in_the_planner_models_own_words_is_handed_over(
    make_kb, composed, tmp_path, caplog, reply
):
    # Seen with the 1.5B: a tool's error echoed, or a refusal, written as the final answer.
    events, _ = _planned(tmp_path, make_kb, composed, ScriptedChatModel(responses=[
        _call("encode_image", {"image": "img-1"}, 1), AIMessage(content=reply),
    ]))  # fmt: skip
    assert [e.text for e in events if e.kind == "status"][-1] == FELL_BACK
    assert "in its own words" in caplog.text
    answer = events[-1].answer.text
    assert re.search(r"\bcat\b", answer, re.I) and reply not in answer, answer


def test_planner_that_never_finishes_hands_the_turn_to_the_built_in_planner(
    make_kb, composed, tmp_path, caplog
):
    loop = ScriptedChatModel(responses=[_call("search_knowledge", {"query": "x"}, n)
                                        for n in range(10)])  # fmt: skip
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=composed,
                          chat_model=loop)  # fmt: skip
    events = list(assistant.session("s").ask("What is the capital of the moon base Zeta-7?"))
    assert [e.text for e in events if e.kind == "status"] == [FELL_BACK]
    assert "did not finish within 6 steps" in caplog.text
    assert events[-1].kind == "answer" and "know" in events[-1].answer.text


def _cat(tmp_path: Path) -> Path:
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    return cat


def _planned(tmp_path, make_kb, composed, script) -> tuple[list, ScriptedChatModel]:
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=composed,
                          chat_model=script)  # fmt: skip
    return list(assistant.session("s").ask("What animal is this?", [_cat(tmp_path)])), script


def test_tool_calls_written_as_text_are_made(make_kb, composed, tmp_path):
    written = AIMessage(
        content='<tools>\n{"name": "encode_image", "arguments": {"image": "img-1"}}\n'
        '{"name": "answer_with_vlm", "arguments": {"question": "What animal is this?", '
        '"image_ids": ["img-1"]}}\n</tools>'
    )
    events, _ = _planned(tmp_path, make_kb, composed, ScriptedChatModel(responses=[written]))
    assert [e.tool for e in events if e.kind == "tool_call"][1:] == [
        "encode_image", "answer_with_vlm"
    ]  # fmt: skip
    assert not [e for e in events if e.kind == "status" and e.text == FELL_BACK]
    answer = events[-1].answer.text
    assert re.search(r"\bcat\b", answer, re.I) and "{" not in answer, answer


PLAN = AIMessage(
    content="To answer this question, I'll need to look at the image. Here's how I'll proceed: "
    "1. **Look at the image**."
)


def test_a_plan_written_as_the_answer_gets_one_repair_turn(make_kb, composed, tmp_path):
    then = _call("answer_with_vlm", {"question": "What animal is this?", "image_ids": ["img-1"]}, 1)
    events, script = _planned(
        tmp_path, make_kb, composed, ScriptedChatModel(responses=[PLAN, then])
    )
    assert script.seen[1][-1].content == REPAIR  # the model was told what was wrong, once
    assert not [e for e in events if e.kind == "status" and e.text == FELL_BACK]
    assert re.search(r"\bcat\b", events[-1].answer.text, re.I)


@pytest.mark.parametrize(
    "replies",
    [
        [PLAN, PLAN],
        [AIMessage(content=""), AIMessage(content='<tool_call>{"name": "peek"}</tool_call>')],
    ],
    ids=["plans", "nothing-then-unknown-tool-json"],
)
def test_no_plan_twice_and_the_built_in_planner_answers(
    make_kb, composed, tmp_path, caplog, replies
):
    events, script = _planned(tmp_path, make_kb, composed, ScriptedChatModel(responses=replies))
    assert len(script.seen) == 2 and [e.text for e in events if e.kind == "status"][-1] == FELL_BACK
    assert "neither a tool call nor an answer, twice" in caplog.text
    answer = events[-1].answer.text
    assert re.search(r"\bcat\b", answer, re.I) and "proceed" not in answer, answer


class BrokenChatModel(ScriptedChatModel):
    """FAKE: a planner whose server fails."""

    def _generate(self, messages, *args, **kwargs):
        raise ConnectionError("the planner's server is down")


def test_a_failing_planner_model_hands_the_turn_over(make_kb, composed, tmp_path, caplog):
    events, _ = _planned(tmp_path, make_kb, composed, BrokenChatModel(responses=[PLAN]))
    assert [e.text for e in events if e.kind == "status"][-1] == FELL_BACK
    assert "the planner's server is down" in caplog.text
    assert re.search(r"\bcat\b", events[-1].answer.text, re.I)


def test_planner_setting_needs_a_server_and_bounds_the_model():
    with pytest.raises(ValueError, match="VIRA_PLANNER"):
        Assistant(Settings(planner="openai:qwen"))
    model = _planner_model(Settings(planner="openai:qwen", openai_base_url="http://gpu:8000/v1"))
    assert model.max_tokens == PLANNER_MAX_TOKENS and model.request_timeout == PLANNER_TIMEOUT_S


IMAGES = Path(__file__).resolve().parents[2] / "eval" / "heldout" / "images"
PENGUIN, FISH = IMAGES / "kb-magellanic-penguin.jpg", IMAGES / "kb-moonwrasse.jpg"


def test_planner_gets_which_picture_worked_out_in_code(make_kb, composed, tmp_path):
    # The planner names only the last picture; code still weighs both and answers.
    script = ScriptedChatModel(responses=[
        AIMessage(content="A penguin."), AIMessage(content="A fish."),
        _call("answer_with_vlm", {"question": "Which shows a fish?", "image_ids": ["img-1"]}, 1),
    ])  # fmt: skip
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=composed,
                          chat_model=script)  # fmt: skip
    session = assistant.session("s")
    session.ask_text("What is in this picture?", images=[PENGUIN])
    session.ask_text("And in this one?", images=[FISH])
    answer = session.ask_text("Which of the two pictures shows a fish, the first or the second?")
    assert re.search(r"\bsecond\b", answer.text, re.I), answer.text
    assert answer.images_used == ["img-2"]


def test_planner_is_not_asked_whether_the_base_has_a_picture(make_kb, composed, tmp_path):
    script = ScriptedChatModel(responses=[AIMessage(content="Yes, there is one.")])
    kb = make_kb()
    assert kb.ingest([PENGUIN]).ok
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=kb, vlm=composed,
                          chat_model=script)  # fmt: skip
    session = assistant.session("s")
    piano = session.ask_text("Do we have a picture of a piano in the knowledge base?")
    assert piano.text == "No: I found no picture of a piano in your knowledge base."
    bird = session.ask_text("Is there a picture of a bird in the knowledge base?")
    assert bird.text.lower().startswith("yes") and bird.sources[0].hit.source == PENGUIN.name
    assert script.seen == []  # code answered both; the planner was never asked


@pytest.mark.parametrize("searches", [True, False], ids=["searched", "never-searched"])
def test_passages_asked_for_are_those_found(make_kb, composed, tmp_path, searches):
    """Numbers past those found are left out; passages asked for before any search are
    searched for first (small models cite passages they never looked for)."""
    doc = tmp_path / "kettle.md"
    doc.write_text("# Kettle\n\nThe Brewmaster K7 kettle has a warranty of 3 years.")
    kb = make_kb()
    kb.ingest([doc])
    question = "How long is the warranty on the Brewmaster K7 kettle?"
    search = _call("search_knowledge", {"query": "Brewmaster K7 warranty"}, 1)
    answer = _call("answer_with_vlm", {"question": question, "passages": [1, 2, 3, 4, 5]}, 2)
    script = ScriptedChatModel(responses=[search, answer] if searches else [answer])
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=kb, vlm=composed,
                          chat_model=script)  # fmt: skip
    events = list(assistant.session("s").ask(question))
    assert not [e for e in events if "No passage" in str(e.data.get("content", ""))]
    assert [e.tool for e in events if e.kind == "tool_call"].count("search_knowledge") == 1
    answer = events[-1].answer
    assert "3 years" in answer.text and answer.sources[0].cited, answer


def test_arguments_in_the_shapes_small_models_write_them(make_kb, composed, tmp_path):
    doc = tmp_path / "kettle.md"
    doc.write_text("# Kettle\n\nThe Brewmaster K7 kettle has a warranty of 3 years.")
    kb = make_kb()
    kb.ingest([doc])
    question = "How long is the warranty on the Brewmaster K7 kettle?"
    script = ScriptedChatModel(responses=[_call(
        "answer_with_vlm", {"question": question, "image_ids": "img-1", "passages": [{"id": 1}]}, 1
    )])  # fmt: skip
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=kb, vlm=composed,
                          chat_model=script)  # fmt: skip
    answer = assistant.session("s").ask_text(question, images=[_cat(tmp_path)])
    assert "3 years" in answer.text and answer.sources[0].cited, answer


def test_a_tool_call_with_missing_arguments_is_told_so(make_kb, composed, tmp_path):
    script = ScriptedChatModel(responses=[
        _call("encode_image", {}, 1),
        _call("answer_with_vlm", {"question": "What animal is this?", "image_ids": ["img-1"]}, 2),
    ])  # fmt: skip
    events, script = _planned(tmp_path, make_kb, composed, script)
    told = [e.data["content"] for e in events if e.kind == "tool_result" and "Bad" in str(e.data)]
    assert told == ["Bad arguments for encode_image: image: Field required"]
    assert script.seen[1][-1].content == told[0]  # the model was told, and went on
    assert re.search(r"\bcat\b", events[-1].answer.text, re.I)


def test_the_pictures_an_answer_is_about_are_resolved_in_code(make_kb, composed, tmp_path):
    # Seen with the 1.5B: "And what is in this one?" answered about the first picture.
    first, then = "What is in this picture?", "And what is in this one?"
    script = ScriptedChatModel(responses=[
        _call("answer_with_vlm", {"question": first, "image_ids": ["img-1"]}, 1),
        _call("answer_with_vlm", {"question": then, "image_ids": ["img-1"]}, 2),
    ])  # fmt: skip
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=composed,
                          chat_model=script)  # fmt: skip
    session = assistant.session("s")
    session.ask_text(first, images=[PENGUIN])
    answer = session.ask_text(then, images=[FISH])
    assert answer.images_used == ["img-2"]
    assert not re.search(r"penguin", answer.text, re.I), answer.text


def test_the_search_the_model_asks_for_is_made_for_the_question(make_kb, composed, tmp_path):
    # Seen with the 1.5B: its own queries lose the question's context, and a cat-feeding note
    # it found answered a medicine label.
    note = tmp_path / "cats.md"
    note.write_text("# Cat care\n\nAdult cats should be fed twice a day, morning and evening.")
    kb = make_kb()
    kb.ingest([note])
    label = tmp_path / "label.png"
    factories.text_image(["IBUPROFEN 200 mg", "Take 1 tablet every 6 hours"]).save(label)
    question = "How often can I take this medicine?"
    script = ScriptedChatModel(responses=[
        _call("search_knowledge", {"query": "how often to feed adult cats"}, 1),
        _call("answer_with_vlm", {"question": question, "passages": [1]}, 2),
    ])  # fmt: skip
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=kb, vlm=composed,
                          chat_model=script)  # fmt: skip
    answer = assistant.session("s").ask_text(question, images=[label])
    assert "No passages found" in script.seen[1][-1].content  # the model was told
    assert answer.sources == [] and "6 hours" in answer.text, answer.text
