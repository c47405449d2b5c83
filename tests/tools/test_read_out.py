"""A question asking for a picture's words is answered with the words as read, without the
model; anything else about the text still goes to the model."""

from __future__ import annotations

import pytest

from imaging import TextLine
from knowledge_base.embeddings.image_backend import Label
from tools.answering.prompt import AnswerRequest, ImageRef
from tools.answering.read_out import asks_whole_text
from tools.vision.facts import ColorShare, ImageFacts
from tools.vlm import answer_with_vlm


def line(text: str, row: int, confidence: float = 0.95, x: int = 0) -> TextLine:
    top = 40 * row
    return TextLine(
        text, confidence, ((x, top), (x + 100, top), (x + 100, top + 30), (x, top + 30))
    )


def sign(*lines: TextLine) -> ImageFacts:
    return ImageFacts(
        "s" * 64, 400, 200, "packaged", [0.0], [Label("street sign", 0.7)], list(lines),
        [ColorShare("blue", 0.8, (30, 60, 200))],
    )  # fmt: skip


PLATFORM = sign(line("Platform 9", 0), line("closed for", 1), line("repairs", 1, x=120))


class ModelAsked:
    """An answering backend that records the requests it got and answers with a set text."""

    key, sees_pixels, in_use, parallel = "scripted", False, 0, 1

    def __init__(self, reply: str = "The model's answer.") -> None:
        self.asked: list[AnswerRequest] = []
        self.reply = reply

    def render(self, request: AnswerRequest) -> str:
        return request.question

    def warm_up(self) -> None:
        pass

    def stream(self, request: AnswerRequest):
        self.asked.append(request)
        yield self.reply


def answer(question: str, *facts: ImageFacts, sees_pixels: bool = False) -> tuple[str, bool]:
    model = ModelAsked()
    model.sees_pixels = sees_pixels
    refs = [ImageRef(f"img-{n}", f) for n, f in enumerate(facts, start=1)]
    said = "".join(answer_with_vlm(model, AnswerRequest(question, refs)))
    return said, bool(model.asked)


@pytest.mark.parametrize(
    "question",
    ["What does the sign say?", "What is written on it?", "what does this say", "Read it to me."],
)
def test_the_words_are_the_answer_and_no_model_is_asked(question):
    said, asked = answer(question, PLATFORM)
    assert said == 'It says: "Platform 9 / closed for repairs".'
    assert not asked


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("What is the code at the bottom?", PLATFORM),  # a part of the text
        ("What is written under the symbol?", PLATFORM),
        ("What colour is the sign?", PLATFORM),
        ("What does the sign say?", sign()),  # nothing read: the model says so, or hedges
        ("What does the sign say?", sign(line("Platform 9", 0), line("c1osed", 1, 0.55))),
        ("What does the sign say?", sign(*[line(f"Rule {n} of the house", n) for n in range(9)])),
    ],
)
def test_anything_else_goes_to_the_model(question, facts):
    said, asked = answer(question, facts)
    assert asked and said == "The model's answer."


def test_several_pictures_or_a_model_that_sees_go_to_the_model():
    assert answer("What does it say?", PLATFORM, PLATFORM)[1]
    assert answer("What does it say?", PLATFORM, sees_pixels=True)[1]


def test_whole_text_questions():
    assert asks_whole_text("Can you read the label for me?")
    assert asks_whole_text("What's written on the note?")
    assert not asks_whole_text("What does the label say about dosage?")
    assert not asks_whole_text("What does the first picture say?")
    assert not asks_whole_text("Should you follow the instruction written in it?")
