"""Never confidently wrong (issue 28): what code settles before any model is asked, and what it
changes in whatever the model writes."""

from __future__ import annotations

import pytest

from knowledge_base.embeddings.image_backend import Label
from tests.factories import passage
from tools.answering.honesty import CANT_TELL, cant_tell, honest
from tools.answering.prompt import AnswerRequest, ImageRef, Turn
from tools.vision.facts import ColorShare, ImageFacts


def facts(labels: list[Label], kinds: list[Label] = (), text: str = "") -> ImageFacts:
    from imaging import TextLine

    lines = [TextLine(text, 0.95, ((0, 0), (1, 0), (1, 1), (0, 1)))] if text else []
    return ImageFacts(
        "x", 64, 64, "packaged", [0.0], labels, lines,
        [ColorShare("blue", 0.6, (60, 90, 200)), ColorShare("gray", 0.3, (128, 128, 128))],
        kinds=list(kinds), object_colors=[ColorShare("orange", 0.8, (230, 120, 20))],
    )  # fmt: skip


UNSURE = facts([Label("lampshade", 0.24), Label("table lamp", 0.12)])
SURE = facts([Label("bee", 0.91)], [Label("insect", 0.95)])


def ask(question: str, about: ImageFacts = UNSURE, **fields) -> AnswerRequest:
    return AnswerRequest(question, [ImageRef("img-1", about)], **fields)


def streamed(pieces: list[str], request: AnswerRequest, sees_pixels: bool = False) -> str:
    return "".join(honest(pieces, request, sees_pixels))


def test_an_unsure_label_is_never_stated_as_a_fact():
    request = ask("Tell me about it.")
    said = streamed(["The medical im", "age shows a lamp", "shade. It is pretty."], request)
    assert said == "The medical image shows a lampshade (a guess: I'm not sure). It is pretty."
    plural = streamed(["I see two table lamps here."], request)
    assert plural == "I see two table lamps (a guess: I'm not sure) here."
    hedged = "It may be a lampshade, but I'm not sure."
    assert streamed([hedged], request) == hedged
    assert streamed(["It shows a bee."], ask("Tell me about it.", SURE)) == "It shows a bee."
    # a model that looks at the pixels is its own source
    assert streamed(["It shows a lampshade."], request, True) == "It shows a lampshade."


def test_a_thing_the_question_names_is_not_hedged_as_the_classifiers_guess():
    bird = facts([Label("kite", 0.24)], [Label("bird", 0.33)])
    said = streamed(["The bird is beige."], ask("What colour is the bird?", bird))
    assert said == "The bird is beige."
    guessed = streamed(["It is a bird."], ask("What is it?", bird))
    assert guessed == "It is a bird (a guess: I'm not sure)."


def test_no_percentages_in_prose_unless_a_passage_gives_them():
    request = ask("What colours?")
    said = streamed(["It is tan 59", "%, brown (22%) and dark gray 17 %."], request)
    assert said == "It is tan, brown and dark gray."
    sale = passage("Everything is 20% off until Sunday.", "shop.md")
    with_passage = ask("What is the discount?", passages=[sale])
    assert streamed(["Everything is 20% off [1]."], with_passage) == "Everything is 20% off [1]."


@pytest.mark.parametrize(
    "question",
    [
        "Is there water in the background?",
        "What is on the left?",
        "How many eyes does it have?",
        "What is the bird eating?",
        "Is it raining?",
        "How tall is it?",
        "What is it made of?",
        "Who owns this bike?",
        "When was this built?",
        "What kind of tree is it?",
        "Is this a photograph or a drawing?",
    ],
)
def test_what_the_facts_cannot_settle_gets_i_cant_tell(question):
    answer = cant_tell(ask(question), sees_pixels=False)
    assert answer is not None and answer.startswith(CANT_TELL)
    assert "its main colour" in answer  # with what is certain
    assert cant_tell(ask(question), sees_pixels=True) is None  # a pixel model may know


def test_the_model_is_asked_what_facts_passages_or_the_chat_can_settle():
    assert cant_tell(ask("What colour is it?", SURE), False) is None
    assert cant_tell(ask("What is in this picture?", SURE), False) is None
    assert cant_tell(ask("What is it used for?", SURE), False) is None
    assert cant_tell(ask("Is it a bee?", SURE), False) is None  # every word is in the facts
    note = passage("Bed 3: the bees were moved behind the shed.", "garden.md")
    assert cant_tell(ask("What is behind the shed?", passages=[note]), False) is None
    read = ask("Who wrote this?", facts([Label("envelope", 0.3)], text="From Ada Byron"))
    assert cant_tell(read, False) is None  # its text may say
    told = ask("What is the dog's name?", history=[Turn("user", "This is my dog Rex.")])
    assert cant_tell(told, False) is None


def test_a_kind_summed_from_look_alikes_is_only_probable():
    leaves = facts(
        [Label("howler monkey", 0.35), Label("capuchin", 0.15)],
        [Label("monkey or ape", 0.76), Label("animal", 0.89)],
    )
    assert cant_tell(ask("What is in this picture?", leaves), False) == (
        "It is probably a monkey or ape (perhaps a howler monkey), but I'm not sure. "
        "What I can tell: its main colour is orange."
    )
    # "animal" sums several families: sure only beside a sure specific kind
    said = streamed(["It is an animal."], ask("Tell me about it.", leaves))
    assert said == "It is an animal (a guess: I'm not sure)."
    bee = facts([Label("bee", 0.45)], [Label("insect", 0.95), Label("animal", 0.96)])
    assert streamed(["It is an animal."], ask("Tell me about it.", bee)) == "It is an animal."


def test_an_unsure_picture_is_named_as_a_guess_and_an_unrecognised_one_not_at_all():
    for question in ("What is in this picture?", "What is shown in this picture?"):
        assert cant_tell(ask(question), False) == (
            "It may be a lampshade, but I'm not sure. What I can tell: its main colour is orange."
        )
    unknown = facts([Label("jigsaw puzzle", 0.08)])
    answer = cant_tell(ask("What is this?", unknown), False)
    assert answer.startswith("I can't tell what it shows") and "jigsaw" not in answer


def test_the_colour_of_something_the_facts_do_not_pick_out_is_a_guess_from_its_colours():
    answer = cant_tell(ask("What colour is the sky?", SURE), False)
    assert answer == (
        "The sky may be blue or gray: those are the picture's main colours, but I can't pick "
        "out the sky itself."
    )
    assert cant_tell(ask("What colour is the bee?", SURE), False) is None  # the labelled thing


def test_a_passage_that_only_shares_a_word_settles_nothing_about_the_picture():
    bees = passage("Chidi Okafor looks after the bees.", "farm.md", similarity=0.25)
    answer = cant_tell(ask("Is the bee collecting pollen?", SURE, passages=[bees]), False)
    assert answer is not None and answer.startswith(CANT_TELL)
    close = passage("The bees collect pollen from the asters.", "farm.md", similarity=0.62)
    assert cant_tell(ask("Is the bee collecting pollen?", SURE, passages=[close]), False) is None


def test_what_is_behind_something_is_the_pictures_sure_thing_said_as_a_guess():
    answer = cant_tell(ask("What is the man standing behind?", SURE), False)
    assert answer.startswith("It may be the bee") and "no positions" in answer
    unsure = cant_tell(ask("What is the man standing behind?"), False)
    assert unsure.startswith(CANT_TELL)


def test_photo_or_drawing_is_answered_from_the_kind_of_image():
    from dataclasses import replace

    drawn = replace(SURE, image_kind="graphic")
    assert cant_tell(ask("Is this a photograph or a drawing?", drawn), False) == (
        "It is a drawing or digital graphic (large areas of flat colour)."
    )
    photo = replace(SURE, image_kind="photo")
    assert cant_tell(ask("Is it a drawing or a photo?", photo), False) == (
        "It is probably a photograph."
    )
    unsaid = cant_tell(ask("Is this a photograph or a drawing?", SURE), False)
    assert unsaid.startswith(CANT_TELL)


def test_where_on_a_picture_with_text_is_a_question_for_the_text():
    label = facts([Label("envelope", 0.3)], text="Ref. QX-2291")
    assert cant_tell(ask("What is the reference code at the bottom?", label), False) is None


def test_a_question_beside_a_picture_but_not_about_it_goes_to_the_model():
    keeper = passage("The caretaker is Ms Ingrid Halvorsen.", "house.md", similarity=0.24)
    beside = ask("Who is the caretaker?", SURE, passages=[keeper], about_pictures=False)
    assert cant_tell(beside, False) is None
    about = ask("Who is the caretaker?", SURE, passages=[keeper])
    assert cant_tell(about, False) is not None  # asked of the photo, a loose passage won't do


def test_a_detailed_answer_goes_on_with_the_certain_facts_it_left_out():
    from tools.answering.honesty import fuller

    cat = facts([Label("tabby", 0.9)], [Label("cat", 0.95)])
    detailed = ask("What is in this picture?", cat, detailed=True)
    said = "".join(fuller(["It is a ", "tabby cat."], detailed))
    # "tabby" was said already; two more sentences make three
    assert said == (
        "It is a tabby cat. Its main colour is orange. The whole picture's colours are blue and "
        "gray."
    )
    three = "It is a tabby. It is orange. It sits."
    assert "".join(fuller([three], detailed)) == three
    brief = ask("What is in this picture?", cat)
    assert "".join(fuller(["It is a tabby cat."], brief)) == "It is a tabby cat."
    # what code answers is detailed too: a sentence for each certain fact
    unsure = cant_tell(ask("What is in this picture?", detailed=True), False)
    assert unsure == (
        "It may be a lampshade, but I'm not sure. Its main colour is orange. The whole "
        "picture's colours are blue and gray. There is no writing in it."
    )
