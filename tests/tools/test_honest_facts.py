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
    assert "Kind of thing: probably bird, not sure" in what
    assert "uncertain guesses, may be wrong" in what
    assert facts.headline().startswith("probably a bird")


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


PHOTOS = Path(__file__).resolve().parents[2] / "eval" / "photos" / "images"  # dev split only


@pytest.mark.parametrize(
    ("photo", "colours"),
    [
        ("yellow-flower.jpg", {"yellow", "orange"}),  # petals that fill the frame
        ("honey-bee.jpg", {"pink", "magenta", "purple"}),  # an aster, not its gray highlights
        ("grass.jpg", {"green"}),
        ("red-maple.jpg", {"red", "dark red"}),
    ],
)
def test_the_colour_of_a_thing_that_fills_the_frame(photo, colours):
    # Before: the centre's colours that the edges lack were taken for the object, and muted
    # colours were named by the nearest reference: orange petals read "gray 76%".
    found = object_colors(Image.open(PHOTOS / photo))
    assert found and found[0].name in colours


def test_muted_colours_of_photographs_are_named_by_their_hue():
    from tools.vision.colors import color_name

    assert color_name((120, 150, 190)) in ("blue", "light blue")  # a hazy sky, not gray
    assert color_name((200, 120, 60)) == "orange" and color_name((110, 70, 40)) == "brown"
    assert color_name((150, 110, 170)) == "purple" and color_name((30, 70, 30)) == "dark green"
    assert color_name((128, 128, 130)) == "gray" and color_name((250, 250, 250)) == "white"


def line(text: str, confidence: float = 0.95):
    from imaging import TextLine

    return TextLine(text, confidence, ((0, 0), (1, 0), (1, 1), (0, 1)))


def test_stray_ocr_glyphs_are_not_text_in_the_image():
    from tools.vision.facts import readable

    assert readable([line("T", 0.6)]) == []  # a leaf's edge read as a letter
    assert readable([line("8", 0.86)]) == []
    assert readable([line("毛達", 0.9)]) == []  # two glyphs on the Eiffel Tower
    sign = [line("STOP"), line("4", 0.9), line("貝", 0.85)]
    assert [ln.text for ln in readable(sign)] == ["STOP", "4"]  # no stray script
    menu = [line("拉麵 12"), line("餃子 8")]
    assert [ln.text for ln in readable(menu)] == ["拉麵 12", "餃子 8"]


def test_the_kind_of_image_is_said_only_when_the_pixels_say_it_plainly():
    from eval.drawing import text_image
    from tools.vision.image_kind import image_kind

    sources = (PHOTOS.parent / "SOURCES.md").read_text().splitlines()
    dev = [
        PHOTOS / f"{r.split('|')[1].strip()}.jpg"
        for r in sources
        if "| photo |" in r and "| dev |" in r
    ]
    kinds_of_photos = {image_kind(Image.open(p), []) for p in dev}
    assert "graphic" not in kinds_of_photos and "document" not in kinds_of_photos
    assert image_kind(Image.open(PHOTOS / "gorilla.jpg"), []) == "photo"
    drawn = Image.new("RGB", (400, 300), (40, 90, 200))
    ImageDraw.Draw(drawn).polygon([(0, 300), (200, 120), (400, 300)], fill=(230, 200, 150))
    assert image_kind(drawn, []) == "graphic"
    page = text_image(["Invoice 2291", "Milk 1.50 EUR", "Bread 2.40 EUR", "Total 3.90 EUR"])
    from imaging import TextLine

    band = ((0, 0), (page.width, 0), (page.width, page.height // 4), (0, page.height // 4))
    boxes = [TextLine(t, 0.95, band) for t in ("Invoice 2291", "Milk 1.50 EUR", "Bread 2.40")]
    assert image_kind(page, boxes) == "document"
