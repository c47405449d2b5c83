"""Grounded or refused: specifics (numbers, names) an answer states must come from the facts,
the passages, the question or the chat; otherwise the answer says it does not know."""

from __future__ import annotations

import pytest

from tests.factories import cat_ref, passage
from tools.fusion.grounding import UNSUPPORTED, asks_for_specific, grounded
from tools.fusion.prompt import FusionRequest, Turn

GARDEN = passage("Bed 3 was planted by Maria Lopez in May.", "garden.md")


def run(pieces: list[str], request: FusionRequest) -> str:
    return "".join(grounded(pieces, request))


@pytest.mark.parametrize(
    ("question", "specific"),
    [
        ("When is it due for service?", True),
        ("What is the name of the person who made this picture?", True),
        ("How much did this cost?", True),
        ("In which city was this photographed?", True),
        ("What animal is this?", False),
        ("What colour is it?", False),
    ],
)
def test_which_questions_ask_for_a_specific(question, specific):
    assert asks_for_specific(question) is specific


def test_an_invented_date_or_name_becomes_i_dont_know():
    service = FusionRequest("When is it due for service?", [cat_ref()])
    assert run(["It is due for ", "service in 2023."], service) == UNSUPPORTED
    maker = FusionRequest("Who made this picture?", [cat_ref()])
    assert run(["The person who made this picture is Vira."], maker) == UNSUPPORTED
    city = FusionRequest("In which city was this photographed?", [cat_ref()])
    assert run(["It was photographed in New York City."], city) == UNSUPPORTED


def test_supported_specifics_pass_unchanged():
    garden = FusionRequest("Who planted bed 3?", passages=[GARDEN])
    assert run(["Bed 3 was planted ", "by Maria Lopez [1]."], garden) == (
        "Bed 3 was planted by Maria Lopez [1]."
    )
    receipt = FusionRequest("How much is the total?", [cat_ref()])  # OCR: "Total 12.50"
    assert run(["The total is 12.50."], receipt) == "The total is 12.50."
    earlier = [Turn("user", "Who is on the photo?"), Turn("assistant", "Anna Berg.")]
    follow = FusionRequest("Who is she?", history=earlier)
    assert run(["She is Anna Berg."], follow) == "She is Anna Berg."


def test_a_later_unsupported_sentence_is_cut_and_said_so():
    garden = FusionRequest("Who planted bed 3?", passages=[GARDEN])
    text = run(["Maria Lopez planted it [1]. She ", "did so in 1998."], garden)
    assert text == f"Maria Lopez planted it [1]. {UNSUPPORTED}"


def test_other_questions_stream_untouched():
    pieces = ["It is a ", "cat from 2023."]
    assert list(grounded(pieces, FusionRequest("What animal is this?"))) == pieces
