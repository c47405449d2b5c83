"""Which images a turn is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.memory import StoredImage
from assistant.resolve import about_pictures, asks_documents, resolve

IMAGES = [
    StoredImage(1, "a" * 64, Path("a.png"), "cat.png", ("tabby", "tiger cat")),
    StoredImage(2, "b" * 64, Path("b.png"), "coffee.png", ("espresso", "cup")),
    StoredImage(3, "c" * 64, Path("c.png"), "rocket.png", ("missile", "projectile")),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what colour is it?", ["img-3"]),
        ("and image 2?", ["img-2"]),
        ("what about img-1", ["img-1"]),
        ("compare the first picture with the second one", ["img-1", "img-2"]),
        ("and the previous one?", ["img-2"]),
        ("compare both", ["img-2", "img-3"]),
        ("what is written on the cat one?", ["img-1"]),
        ("how hot is the espresso?", ["img-2"]),
        ("describe all the images", ["img-1", "img-2", "img-3"]),
        ("and the last one?", ["img-3"]),
    ],
)
def test_references(text, expected):
    assert resolve(text, IMAGES, new=[]) == expected


def test_new_images_win_unless_the_text_names_others():
    assert resolve("what is this cat doing?", IMAGES, new=["img-3"]) == ["img-3"]
    assert resolve("compare it with image 1", IMAGES, new=["img-3"]) == ["img-3", "img-1"]
    assert resolve("now look at image 1", IMAGES, new=["img-3"]) == ["img-1"]
    assert resolve("anything", [], new=[]) == []


@pytest.mark.parametrize(
    ("text", "new", "about"),
    [
        ("Who is the caretaker?", [], False),  # a document question after a photo
        ("How much does it cost to charge an electric car?", [], False),
        ("On which day is glass collected?", [], False),
        ("What colour is it?", [], True),
        ("What is written under it?", [], True),
        ("Compare it with the first one.", [], True),
        ("Who sent me this bike?", [], True),
        ("Who is the caretaker?", ["img-4"], True),  # a picture came with it
    ],
)
def test_a_question_is_about_the_pictures_only_when_one_came_or_it_points_at_one(text, new, about):
    assert about_pictures(text, new) is about


GUIDE = "Northwind parcels. Page 2: a parcel can be returned within 21 days of delivery."
ORCHARD = "Orchard log. Chidi moved the bees; the bees were collecting pollen from the pears."


@pytest.mark.parametrize(
    ("text", "shown", "documents"),
    [
        ("Within how many days can a parcel be returned?", ["envelope"], True),
        ("How many brushes are there?", ["paintbrush"], False),  # no document says "brushes"
        ("What season is it?", ["lichen"], False),
        ("Is the bee collecting pollen?", ["bee", "insect"], False),  # the picture's thing
        ("Who moved the bees?", ["pear"], True),
        ("Is it?", ["pear"], False),  # nothing to look for
    ],
)
def test_a_follow_up_asks_the_documents_only_when_they_hold_what_it_is_about(
    text, shown, documents
):
    assert asks_documents(text, [GUIDE, ORCHARD], shown) is documents


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Do my documents say anything about this?", True),
        ("Find the manual for this.", True),
        ("Which of my manuals covers this device?", True),
        ("Is this in my notes?", True),
        ("What colour is it?", False),
        ("What does the manual say about descaling?", False),  # a question for the documents
    ],
)
def test_a_picture_is_the_query_when_the_documents_are_asked_about_it(text, query):
    from assistant.resolve import picture_as_query

    assert picture_as_query(text) is query
