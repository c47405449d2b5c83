"""The one finishing step every answer goes through, on whole answers and on streams."""

from __future__ import annotations

import pytest

from tests.factories import passage
from tools.answering.finish import NO_ANSWER, finished
from tools.answering.source_talk import without_source_talk

MANUAL = [
    passage(
        "E4: the grinder is jammed. Switch the machine off. E1: the water tank is empty.",
        "manual.md",
    ),
    passage("The removable water tank holds 1.8 litres.", "manual.md", n=1),
]
TERMS = [
    passage("The warranty lasts 24 months from delivery.", "terms.pdf"),
    passage("Bananas are rich in potassium.", "food.md"),
]


def finish(text: str, passages=MANUAL) -> str:
    return "".join(finished([text], passages))


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("The grinder is jammed; switch it off. [2]", "The grinder is jammed; switch it off. [1]"),
        ("It is a tiger cat [0].", "It is a tiger cat."),
        ("It holds 1.8 litres [7].", "It holds 1.8 litres. [2]"),
        ("It holds 1.8 litres [2][2].", "It holds 1.8 litres [2]."),
        (
            "The tank holds 1.8 litres [2] and E4 means a jammed grinder [1].",
            "The tank holds 1.8 litres [2] and E4 means a jammed grinder [1].",
        ),
        ("  It holds 1.8 litres [2].  \n", "It holds 1.8 litres [2]."),
        # [1] shares "water tank" with the answer but not its number: [2] holds that
        ("The water tank holds 1.8 litres. [1]", "The water tank holds 1.8 litres. [2]"),
        (
            "The grinder is jammed [1]; the water tank holds 1.8 litres [1].",
            "The grinder is jammed [1]; the water tank holds 1.8 litres [2].",
        ),
        # each mark is judged by its own sentence, not by what the answer said before it
        (
            "The grinder is jammed [1]. The tank is removable [1].",
            "The grinder is jammed [1]. The tank is removable [2].",
        ),
        (
            "The grinder is jammed [1]. Bananas are yellow [1].",
            "The grinder is jammed [1]. Bananas are yellow.",
        ),
        ("The grinder is jammed. Yes [1].", "The grinder is jammed. Yes [1]."),
        # a sentence that says it does not know rests on no passage
        (
            "The price of the grinder is not mentioned. [1]",
            "The price of the grinder is not mentioned.",
        ),
        (
            "The tank holds 1.8 litres [2]; its price is not mentioned [2].",
            "The tank holds 1.8 litres [2]; its price is not mentioned.",
        ),
        ("The water tank's price is not stated.", "The water tank's price is not stated."),
    ],
)
def test_marks_are_checked(written, shown):
    assert finish(written) == shown


def test_an_uncited_fact_gets_its_mark_at_the_end():
    assert finish("The warranty lasts 24 months.", TERMS) == "The warranty lasts 24 months. [1]"
    assert finish("The warranty lasts 24 months [1].", TERMS) == "The warranty lasts 24 months [1]."
    assert finish("I don't know.", TERMS) == "I don't know."
    assert finish("It is a cat.", []) == "It is a cat."


@pytest.mark.parametrize("written", ["", "   ", "[1]", " [1] [2]", "[9]"])
def test_an_answer_without_words_says_it_does_not_know(written):
    assert finish(written) == NO_ANSWER


def test_a_stream_finishes_as_the_whole_answer_would():
    """Whatever the pieces (marks cut in two, spaces at the edges), the stream's text is the
    finished whole: what the user watched is what is stored."""
    texts = [
        "The grinder is jammed; switch it off. [2] The tank holds 1.8 litres [2][2].",
        "[1] The warranty lasts 24 months.",
        "It is a tiger cat [0]. ",
    ]
    for text in texts:
        whole = finish(text, MANUAL if "grinder" in text or "cat" in text else TERMS)
        passages = MANUAL if "grinder" in text or "cat" in text else TERMS
        for size in (1, 2, 3, 5):
            pieces = [text[i : i + size] for i in range(0, len(text), size)]
            assert "".join(finished(pieces, passages)) == whole, (size, text)


def test_a_mark_cut_by_the_stream_is_held_back_until_it_is_whole():
    out = list(finished(["The grinder is jammed. [", "2", "] Off."], MANUAL))
    assert out[0] == "The grinder is jammed." and "".join(out) == "The grinder is jammed. [1] Off."


@pytest.mark.parametrize(
    ("written", "passages", "shown"),
    [
        # the receipt's total came from the picture: the mark goes, and the sentence with it
        ("The milk cost 8.01. I used passage [1].", TERMS, "The milk cost 8.01."),
        ("The milk cost 8.01. I used passage.", TERMS, "The milk cost 8.01."),
        (
            "It lasts 24 months. This information is found in passage. [1][2]",
            TERMS,
            "It lasts 24 months. [1]",
        ),
        (
            "The warranty lasts 24 months. I used passage [1].",
            TERMS,
            "The warranty lasts 24 months. [1]",
        ),
        (
            "The warranty lasts 24 months. (See passage 1.)",
            TERMS,
            "The warranty lasts 24 months. [1]",
        ),
        ("The warranty lasts 24 months.\nSource: [1]", TERMS, "The warranty lasts 24 months.\n[1]"),
        (
            "I read the passage: the warranty lasts 24 months [1].",
            TERMS,
            "I read the passage: the warranty lasts 24 months [1].",
        ),
        ("Passage [1].", TERMS, NO_ANSWER),
    ],
)
def test_a_sentence_that_only_names_its_passage_becomes_its_mark(written, passages, shown):
    assert finish(written, passages) == shown
    for size in (1, 2, 3, 5):
        pieces = [written[i : i + size] for i in range(0, len(written), size)]
        assert "".join(finished(pieces, passages)) == shown, size


@pytest.mark.parametrize(
    "written",
    ["Passage [1] says the warranty lasts 24 months.", "The passage is clear. Sourced locally."],
)
def test_a_sentence_that_goes_on_is_left_as_written(written):
    for size in (1, 2, 3, 5, len(written)):
        pieces = [written[i : i + size] for i in range(0, len(written), size)]
        assert "".join(without_source_talk(pieces)) == written, size
