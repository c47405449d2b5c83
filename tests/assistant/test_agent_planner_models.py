"""The agent planner against real tool-calling models, with no stand-in: the packaged 1.5B and
0.5B behind llama.cpp's llama-server (``--jinja``: OpenAI tool calls), as a user would point
``VIRA_PLANNER`` at a local server. Each turn is planned by the model or handed to the built-in
planner with a status saying so; no answer ever carries tool-call text."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from skimage import data

from assistant import Assistant, Settings
from assistant.agent import FELL_BACK
from assistant.assistant import _planner_model
from tools.answering.backends.llama_server import LlamaServer, ServerOptions, installed_binary
from tools.answering.plumbing import plumbing
from tools.gguf import QWEN_CODER_0_5B

pytestmark = pytest.mark.slow

KETTLE = (
    "# Brewmaster K7 kettle\n\nThe Brewmaster K7 kettle comes with a warranty of 3 years.\n\n"
    "## Error codes\n\nError E7 means that the kettle is empty: fill it and press start again."
)


@pytest.fixture(scope="module", params=["1.5b", "0.5b"])
def planner(request, gguf_path, tmp_path_factory):
    """A tool-calling chat model served by its own llama-server."""
    model = gguf_path
    if request.param == "0.5b":
        model = QWEN_CODER_0_5B.assemble(request.config.cache.mkdir("vira-models"))
    folder = tmp_path_factory.mktemp(f"planner-{request.param}")
    server = LlamaServer(installed_binary(), model, ServerOptions(slots=1), folder / "server.log")
    url = server.ensure()
    settings = Settings(planner="openai:qwen", openai_base_url=url, openai_api_key=server.api_key)
    yield _planner_model(settings)  # as the app makes it from VIRA_PLANNER
    server.stop()


def test_a_conversation_planned_by_a_real_model_never_shows_its_plumbing(
    planner, served_vlm, make_kb, tmp_path
):
    kettle = tmp_path / "kettle.md"
    kettle.write_text(KETTLE)
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    kb = make_kb()
    assert kb.ingest([kettle]).ok
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=kb, vlm=served_vlm,
                          chat_model=planner)  # fmt: skip
    session = assistant.session("s")
    turns = [
        ("What animal is this?", [cat], r"\bcat\b"),
        ("How long is the warranty on the Brewmaster K7 kettle?", [], r"\b3 years\b"),
        ("What does error E7 mean?", [], r"\bempty\b"),
    ]
    for question, images, expected in turns:
        events = list(session.ask(question, images))
        answer = events[-1].answer
        assert events[-1].kind == "answer" and answer.text.strip(), (question, events[-1])
        assert not plumbing(answer.text) and "{" not in answer.text, (question, answer.text)
        planned = [e.tool for e in events if e.kind == "tool_call"]
        fell_back = FELL_BACK in [e.text for e in events if e.kind == "status"]
        assert fell_back or "answer_with_vlm" in planned or planned == ["encode_image"], planned
        assert re.search(expected, answer.text, re.I), (question, answer.text)
        if not images:  # a document's fact, cited
            assert any(s.cited and s.hit.source == "kettle.md" for s in answer.sources), answer
