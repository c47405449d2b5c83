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
    # A reply of marks alone passes through the same finishing step as every answer.
    assert events[-1].kind == "answer" and events[-1].answer.text == "I don't know."


def test_planner_that_never_finishes_is_stopped(make_kb, composed, tmp_path):
    loop = ScriptedChatModel(responses=[_call("search_knowledge", {"query": "x"}, n)
                                        for n in range(10)])  # fmt: skip
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=composed,
                          chat_model=loop)  # fmt: skip
    events = list(assistant.session("s").ask("hello"))
    assert events[-1].kind == "error" and "did not finish within 6 steps" in events[-1].text


def test_planner_setting_needs_a_server():
    with pytest.raises(ValueError, match="VIRA_PLANNER"):
        Assistant(Settings(planner="openai:qwen"))


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
