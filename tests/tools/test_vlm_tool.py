"""``answer_with_vlm`` as a LangChain tool, over the real composed backend."""

from __future__ import annotations

import pytest

from tests.factories import cat_ref
from tools.fusion.backends.composed import ComposedBackend
from tools.fusion.backends.openai_compat import OpenAIBackend
from tools.fusion.gguf import QWEN_CODER_1_5B
from tools.fusion.prompt import Turn
from tools.vlm import make_answer_with_vlm


@pytest.fixture(scope="module")
def composed(request):
    return ComposedBackend(QWEN_CODER_1_5B.assemble(request.config.cache.mkdir("vira-models")))


def test_schema(composed):
    tool = make_answer_with_vlm(composed, {"img-1": cat_ref()}.__getitem__)
    assert tool.name == "answer_with_vlm"
    assert set(tool.args) == {"question", "image_ids", "passages"}
    assert tool.args["image_ids"]["type"] == "array"


@pytest.mark.slow
def test_answers_with_images_passages_and_history(composed):
    seen = [Turn("user", "Hi"), Turn("assistant", "Hello! Send me a picture.")]
    tool = make_answer_with_vlm(composed, {"img-1": cat_ref()}.__getitem__, lambda: seen)
    msg = tool.invoke(
        {
            "type": "tool_call",
            "id": "a1",
            "name": "answer_with_vlm",
            "args": {
                "question": "What animal is this, and how long do they sleep?",
                "image_ids": ["img-1"],
                "passages": [{"number": 1, "text": "Cats sleep 15 hours a day.", "source": "c"}],
            },
        }
    )
    assert "cat" in msg.content.lower() and "15" in msg.content and "[1]" in msg.content
    assert msg.artifact.history == seen and msg.artifact.images[0].image_id == "img-1"


def test_unknown_image_and_unavailable_backend(composed):
    tool = make_answer_with_vlm(composed, {"img-1": cat_ref()}.__getitem__)
    assert tool.invoke({"question": "?", "image_ids": ["img-7"]}).startswith(
        "Cannot answer: unknown image 'img-7'"
    )
    down = OpenAIBackend("m", "http://127.0.0.1:9/v1", retries=0, timeout_s=3)
    text = make_answer_with_vlm(down, {"img-1": cat_ref()}.__getitem__).invoke({"question": "?"})
    assert text.startswith("The answering model is unavailable: cannot reach the model server")
