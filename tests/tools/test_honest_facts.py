"""Facts that know what they don't know, on real photographs the classifier was not trained
for (Tux Paint stamps of the held-out *dev* split) and the real packaged classifier."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from knowledge_base.embeddings import create_image_backend
from knowledge_base.embeddings.image_backend import Label
from knowledge_base.embeddings.kinds import kinds
from tools.vision import ImageEncoder
from tools.vision.colors import object_colors

DEV = Path(__file__).resolve().parents[2] / "eval" / "heldout" / "images"


@pytest.fixture(scope="module")
def encoder():
    return ImageEncoder(create_image_backend("packaged"), None, None)


def test_kinds_sum_up_the_hierarchy():
    breeds = [Label("beagle", 0.3), Label("basset", 0.25), Label("bloodhound", 0.2)]
    assert kinds(breeds)[:2] == [Label("dog", 0.75), Label("animal", 0.75)]
    assert kinds([Label("sports car", 0.2), Label("convertible", 0.2)]) == [Label("vehicle", 0.4)]
    assert kinds([Label("not an imagenet class", 0.9)]) == []


def test_a_bird_no_class_names_is_a_bird_with_guesses_marked(encoder):
    facts = encoder.encode(DEV / "blackbird-11.jpg")
    what = facts.describe()
    assert "Kind of thing: bird" in what
    assert "uncertain guesses, may be wrong" in what and facts.headline().startswith("a bird")


def test_an_unknown_thing_says_so_instead_of_five_names(encoder):
    facts = encoder.encode(DEV / "eggplant-78.jpg")
    assert (
        "no confident label" in facts.describe()
        and facts.headline() == "something the classifier did not recognise"
    )


def test_a_confident_label_is_stated_with_its_kind(encoder):
    facts = encoder.encode(DEV / "garbagetruck-16.jpg")
    assert "Kind of thing: vehicle" in facts.describe()
    assert "Labels: garbage truck" in facts.describe()


def test_the_main_objects_colour_is_not_the_background(encoder):
    facts = encoder.encode(DEV / "rose-8.jpg")  # a red rose on white
    assert facts.colors[0].name == "white" and facts.object_colors[0].name == "red"
    assert "Colours of the main object: red" in facts.describe()


def test_object_colours_of_a_drawn_scene_and_of_a_plain_one():
    scene = Image.new("RGB", (300, 200), (128, 128, 128))
    ImageDraw.Draw(scene).ellipse((110, 60, 190, 140), fill=(200, 30, 30))
    assert object_colors(scene)[0].name == "red"
    assert object_colors(Image.new("RGB", (300, 200), (128, 128, 128))) == []
