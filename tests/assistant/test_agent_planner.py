"""The tool-calling planner, driven by a scripted fake chat model. A fake is used only here:
no tool-calling chat model runs offline on these machines."""

from __future__ import annotations

import re

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from PIL import Image
from pydantic import Field
from skimage import data

from assistant import Assistant, Settings
from tools.fusion.backends.composed import ComposedBackend
from tools.fusion.gguf import QWEN_CODER_1_5B

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


@pytest.fixture(scope="session")
def composed(request):
    return ComposedBackend(QWEN_CODER_1_5B.assemble(request.config.cache.mkdir("vira-models")))


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
                    "passages": [{"number": 1, "text": "Adult cats sleep about 15 hours a day.",
                                  "source": "cats.md"}],
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
    answer = events[-1].answer
    assert events[-1].kind == "answer" and answer.images_used == ["img-1"]
    assert re.search(r"\bcat\b", answer.text, re.I) and "15" in answer.text
    assert answer.sources[0].document == "cats.md"


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
