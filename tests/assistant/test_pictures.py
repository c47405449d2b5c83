"""Which picture of a chat shows a thing, worked out in code from the image facts (built here
as the packaged encoder reports them) and the real packaged text model: by kind, by caption,
as a guess by elimination, or an honest "I can't tell"."""

from __future__ import annotations

import pytest

from assistant.pictures import only_which, which_asked, which_note, which_picture
from tools.vision.facts import ImageFacts, Label


def facts(labels: list[tuple[str, float]], kinds: list[tuple[str, float]] = ()) -> ImageFacts:
    return ImageFacts(
        sha256=str(abs(hash(tuple(labels)))).ljust(64, "0"),
        width=300,
        height=300,
        backend="packaged",
        embedding=[0.0],
        labels=[Label(n, s) for n, s in labels],
        text=[],
        colors=[],
        kinds=[Label(n, s) for n, s in kinds],
    )


HEN = facts([("hen", 0.81), ("cock", 0.04)], [("bird", 0.87), ("animal", 0.88)])
APPLE = facts([("Granny Smith", 0.97)], [("fruit", 0.97), ("food", 0.97)])
SLUG = facts([("slug", 0.96)], [("spider, crab or other invertebrate", 0.97), ("animal", 0.98)])
UNKNOWN = facts([("envelope", 0.19), ("mouse", 0.07), ("brassiere", 0.07)])
BLUR = facts([("maraca", 0.06), ("screwdriver", 0.06)])
WEB = facts([("web site", 0.35), ("traffic light", 0.13)])


@pytest.fixture(scope="module")
def encode(embedding):
    return embedding.encode


def test_the_classifiers_kind_decides_when_one_picture_is_of_it(encode):
    found = which_picture("food", {"img-1": UNKNOWN, "img-2": APPLE}, encode)
    assert found.picture == "img-2" and found.sure
    assert found.text.startswith("The second picture (img-2) shows food: Granny Smith")
    food = facts([("pomegranate", 0.1), ("fig", 0.1)], [("food", 0.6)])
    assert which_picture("food", {"img-1": food, "img-2": UNKNOWN}, encode).text == (
        "The first picture (img-1) shows food."  # its headline is only "a food"
    )
    found = which_picture("an animal", {"img-1": HEN, "img-2": APPLE}, encode)
    assert found.picture == "img-1" and found.text.startswith("The first picture (img-1)")


def test_two_pictures_of_the_kind_are_not_told_apart_by_kind(encode):
    found = which_picture("an animal", {"img-1": HEN, "img-2": SLUG}, encode)
    assert not (found.sure and found.text.startswith("The second"))  # a hen is no less animal


def test_the_only_unrecognised_picture_is_a_guess_worded_as_one(encode):
    found = which_picture("clothing", {"img-1": UNKNOWN, "img-2": SLUG}, encode)
    assert found.picture == "img-1" and not found.sure
    assert found.text.startswith("Probably the first picture (img-1)")
    assert "the second picture (img-2) shows slug" in found.text


def test_nothing_to_go_on_is_said_plainly(encode):
    found = which_picture("a sign", {"img-1": BLUR, "img-2": WEB}, encode)
    assert found.picture is None
    assert found.text.startswith("I can't tell which picture shows a sign")
    assert "Say that you cannot tell" in which_note("a sign", {"img-1": BLUR, "img-2": WEB}, encode)


def test_a_picture_clearly_of_something_else_is_not_guessed_by_elimination(encode):
    # The hen is recognised and close to "a bird": no guess that the blur is the bird.
    found = which_picture("a bird", {"img-1": BLUR, "img-2": HEN}, encode)
    assert found.picture == "img-2"


@pytest.mark.parametrize(
    ("question", "thing", "only"),
    [
        ("Which of the two pictures shows food, the first or the second?", "food", True),
        ("Which picture shows a vehicle?", "a vehicle", True),
        ("which one has a dog", "a dog", True),
        ("Which of the pictures shows a fish, and what colour is it?", "a fish", False),
        ("Tell me which image shows a cat", "a cat", False),
        ("What is in this picture?", None, False),
    ],
)
def test_which_questions_and_whether_the_finding_is_the_whole_answer(question, thing, only):
    assert which_asked(question) == thing
    assert only_which(question) is only


def test_a_request_to_show_a_figure_names_the_figure():
    from assistant.pictures import asked_picture, shown_figure

    assert asked_picture("Show me the wiring diagram.") == "the wiring diagram"
    assert asked_picture("Please find the pump wiring schematic") == "the pump wiring schematic"
    assert shown_figure("Show me the chart of monthly rainfall in Bergen.")
    for text in ("Show me how to descale it.", "show me the manual", "What does the chart say?"):
        assert not shown_figure(text) and asked_picture(text) is None


def test_a_picture_is_searched_by_what_is_sure_in_a_chat_and_by_guesses_in_a_listing():
    from assistant.pictures import picture_query

    butterfly = facts(
        [("monarch", 0.31), ("admiral", 0.22), ("cabbage butterfly", 0.12)],
        [("butterfly", 0.66), ("animal", 0.7)],
    )
    assert picture_query(butterfly) == ""  # the chat states nothing it is unsure of
    assert picture_query(butterfly, guesses=True) == "monarch admiral butterfly"
    assert picture_query(HEN) == picture_query(HEN, guesses=True) == "hen bird"
