"""``answer_with_vlm``: the plain function and its LangChain tool, over the real composed
backend."""

from __future__ import annotations

import pytest

from tests.factories import cat_ref, passage
from tools import ToolError, answer_with_vlm, make_answer_with_vlm
from tools.answering.backends.openai_compat import OpenAIBackend
from tools.answering.prompt import AnswerRequest, Turn

SEEN = [Turn("user", "Hi"), Turn("assistant", "Hello! Send me a picture.")]
PASSAGES = [passage("Cats sleep 15 hours a day.", "cats.md")]


def request_for(question: str, image_ids: list[str], passages: list[int] | None) -> AnswerRequest:
    """A session with one image (img-1) and one passage found, as the assistant builds it."""
    known = {"img-1": cat_ref()}
    unknown = [i for i in image_ids if i not in known]
    if unknown:
        raise ToolError(f"No image {unknown[0]!r} in this conversation")
    chosen = PASSAGES if passages is None else [PASSAGES[n - 1] for n in passages]
    return AnswerRequest(question, [known[i] for i in image_ids], chosen, SEEN)


def test_schema(served_vlm):
    tool = make_answer_with_vlm(served_vlm, request_for)
    assert tool.name == "answer_with_vlm"
    assert set(tool.args) == {"question", "image_ids", "passages"}
    assert tool.args["image_ids"]["type"] == "array"
    assert tool.args["passages"]["anyOf"][0]["items"]["type"] == "integer"


@pytest.mark.slow
def test_answers_with_images_passages_and_history(served_vlm):
    tool = make_answer_with_vlm(served_vlm, request_for)
    question = "What animal is this, and how long do they sleep?"
    msg = tool.invoke(
        {
            "type": "tool_call",
            "id": "a1",
            "name": "answer_with_vlm",
            "args": {"question": question, "image_ids": ["img-1"], "passages": [1]},
        }
    )
    assert "cat" in msg.content.lower() and "15" in msg.content and "[1]" in msg.content
    assert msg.artifact.history == SEEN and msg.artifact.images[0].image_id == "img-1"
    # The plain function the tool wraps gives a finished answer too: whole, since "how long"
    # asks for a specific that is checked before it is shown (tools.answering.grounding). Not
    # the same words: the second run reads the first one's cached prompt, and llama.cpp's
    # sums then differ in the last bits ("…, and they sleep" / ". It sleeps").
    streamed = list(answer_with_vlm(served_vlm, request_for(question, ["img-1"], [1])))
    assert len(streamed) == 1
    assert "cat" in streamed[0].lower() and "15" in streamed[0] and "[1]" in streamed[0]
    other = list(answer_with_vlm(served_vlm, request_for("What animal is this?", ["img-1"], [1])))
    assert len(other) > 1  # other questions stream token by token


def test_unknown_image_and_unavailable_backend(served_vlm):
    tool = make_answer_with_vlm(served_vlm, request_for)
    said = tool.invoke({"question": "?", "image_ids": ["img-7"]})
    assert said == "No image 'img-7' in this conversation"
    down = OpenAIBackend("m", "http://127.0.0.1:9/v1", retries=0, timeout_s=3)
    text = make_answer_with_vlm(down, request_for).invoke({"question": "?"})
    assert text.startswith("The answering model is unavailable: cannot reach the model server")
    with pytest.raises(ToolError, match="unavailable"):
        list(answer_with_vlm(down, request_for("?", [], None)))


class ScriptedBackend:
    """A scripted stand-in for an answering model (it says ``reply``): the guard's choice
    depends on whether the backend looks at pixels, not on what it is."""

    key, in_use, parallel = "scripted", 0, 1

    def __init__(self, reply: str, sees_pixels: bool) -> None:
        self.reply, self.sees_pixels = reply, sees_pixels

    def stream(self, request: AnswerRequest):
        yield from self.reply.partition(" ")  # streamed in pieces


def test_a_backend_that_looks_at_the_pixels_may_give_a_count():
    question = request_for("How many triangles are there?", ["img-1"], None)
    looks = ScriptedBackend("There are 3 triangles.", sees_pixels=True)
    reads = ScriptedBackend("There are 3 triangles.", sees_pixels=False)
    assert "".join(answer_with_vlm(looks, question)) == "There are 3 triangles."
    assert "".join(answer_with_vlm(reads, question)).startswith("I don't know")
