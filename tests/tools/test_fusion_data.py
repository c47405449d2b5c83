"""The fusion VLM's demonstration data: easy-VQA's splits (the packaged dataset), the CLEVR-style
scene generator and its inventory notes, and the closed-set scoring of free-text answers."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from PIL import Image

from eval.scenes import COLOURS, NUMBERS, generate, kinds
from tools.fusion_vlm.data import read_examples
from tools.fusion_vlm.metrics import closed_set_right


def test_easy_vqa_splits_hold_validation_images_out_of_training():
    train = read_examples({"format": "easy_vqa", "split": "train"})
    validation = read_examples({"format": "easy_vqa", "split": "validation"})
    test = read_examples({"format": "easy_vqa", "split": "test"})
    assert len(train) + len(validation) == 38_575 and len(test) == 9_673
    assert not {e.image for e in train} & {e.image for e in validation}
    assert len({e.image for e in validation}) == 400
    assert {e.answer for e in test} <= {"circle", "rectangle", "triangle", "yes", "no", "red",
                                        "green", "blue", "black", "gray", "teal", "brown",
                                        "yellow"}  # fmt: skip
    with pytest.raises(ValueError, match="no split 'dev'"):
        read_examples({"format": "easy_vqa", "split": "dev"})


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenes")
    return generate(out, "train", 40, seed=3)


def test_scene_answers_agree_with_the_pixels_and_the_captions(scenes):
    rows = [json.loads(line) for line in scenes.read_text().splitlines()]
    by_image = defaultdict(list)
    for row in rows:
        by_image[row["image"]].append(row)
    assert len(by_image) == 40
    for image, questions in by_image.items():
        pixels = set(Image.open(scenes.parent / image).convert("RGB").getdata())
        caption = next(q["answer"] for q in questions if q["kind"] == "caption")
        for q in questions:
            if q["kind"] == "colour":
                assert COLOURS[q["answer"]] in pixels  # the colour is really drawn
            if q["question"].startswith("How many") and q["question"].split()[2] in COLOURS:
                colour = q["question"].split()[2]
                assert caption.count(f" {colour} ") == NUMBERS.index(q["answer"])
    assert set(kinds(scenes)) == {"caption", "count", "colour", "position", "knowledge"}


def test_owners_come_only_from_each_scenes_note(scenes):
    """The same kind of object belongs to different people in different scenes, so the
    picture alone cannot tell whose it is; the scene's note always can."""
    owners = defaultdict(set)
    for row in map(json.loads, scenes.read_text().splitlines()):
        if row["kind"] == "knowledge":
            assert any(row["answer"] in p for p in row["passages"])
            for passage in row["passages"]:
                words = passage.rstrip(".").split()
                owners[(words[1], words[2])].add(words[-1])
    assert max(len(v) for v in owners.values()) >= 2


def test_each_note_names_its_objects_as_the_picture_shows_them(scenes):
    """Notes of different scenes share shapes and colours; each names its objects by size,
    colour, shape and height, as the caption does, so the picture tells which note is its own."""
    rows = [json.loads(line) for line in scenes.read_text().splitlines()]
    captions = {r["image"]: r["answer"] for r in rows if r["kind"] == "caption"}
    for row in rows:
        if row["kind"] == "knowledge":
            named = [p.removeprefix("The ").split(" belongs to ")[0] for p in row["passages"]]
            assert all(f"a {thing}" in captions[row["image"]] for thing in named)
            assert all(thing.split()[-2:] in (["the", "top"], ["the", "middle"],
                                              ["the", "bottom"]) for thing in named)  # fmt: skip


def test_the_notes_order_does_not_tell_where_things_are(scenes):
    """Only the picture says which object is leftmost: a note listed left to right would let
    a model answer "whose is furthest to the left?" from the note alone."""
    first_or_last = []
    for row in map(json.loads, scenes.read_text().splitlines()):
        if row["kind"] == "knowledge":
            said = next(i for i, p in enumerate(row["passages"]) if row["answer"] in p)
            edge = 0 if row["question"].endswith("left?") else len(row["passages"]) - 1
            first_or_last.append(said == edge)
    assert len(first_or_last) == 40
    assert 0.1 < sum(first_or_last) / len(first_or_last) < 0.7  # ~1/3 by chance


def test_the_note_goes_to_fusion_to_the_text_or_nowhere(scenes):
    def knowledge_item(mode):
        found = read_examples({"format": "scenes", "path": str(scenes), "knowledge": mode})
        return next(e for e in found if "Whose" in e.question)

    fused, text, none = (knowledge_item(m) for m in ("fusion", "text", "none"))
    assert fused.passages and fused.question.startswith("Whose")
    assert not text.passages and text.question.startswith("The ") and "belongs to" in text.question
    assert not none.passages and none.question == fused.question


@pytest.mark.parametrize(
    ("said", "gold", "right"),
    [
        ("red", "red", True),
        ("The shape is red.", "red", True),
        ("red or blue", "red", False),
        ("Yes, it is a circle.", "yes", True),
        ("No.", "yes", False),
        ("It is grey.", "gray", True),
        ("There are 2 red objects.", "two", True),
        ("I don't know.", "red", False),
    ],
)
def test_closed_set_scoring_of_free_text_answers(said, gold, right):
    groups = [("red", "blue", "gray"), ("circle", "square"), ("one", "two")]
    assert closed_set_right(said, gold, groups) is right


def test_balancing_makes_each_templates_answers_equally_frequent():
    import random
    from collections import Counter
    from pathlib import Path

    from tools.fusion_vlm.data import Example
    from tools.fusion_vlm.train import balanced

    def ask(question: str, answer: str) -> Example:
        return Example(Path("x.png"), question, answer)

    # "is there a <colour> shape?": 8 no, 1 yes; "what color is it?" already one of each.
    items = [ask(f"is there a {c} shape?", "no") for c in ("red", "blue") * 4]
    items += [ask("is there a green shape?", "yes"), ask("what color is it?", "red")]
    items += [ask("what color is it?", "blue"), ask("what color is it?", "green")]
    out = balanced(items, random.Random(0))
    presence = Counter(e.answer for e in out if e.question.startswith("is there"))
    assert presence == {"no": 8, "yes": 8}
    assert Counter(e.answer for e in out if e.question.startswith("what")) == {
        "red": 1, "blue": 1, "green": 1}  # fmt: skip
    assert set(items) <= set(out)  # nothing dropped, only repeated


def test_each_passage_is_embedded_once_and_lands_in_its_own_slot():
    """A note repeats across its scene's questions and every epoch: it is embedded once."""
    import numpy as np
    import torch

    from tests.tiny_models import tiny_tokenizer
    from tools.fusion_vlm.data import Encoder, Example

    asked: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:  # a deterministic text -> vector function
        asked.append(texts)
        return np.array([[len(t), t.count("e"), 1.0] for t in texts])

    encoder = Encoder(lambda images: torch.zeros(len(images), 4, 2), tiny_tokenizer(), embed, 3)
    note = ("The red circle belongs to Aldo.", "The blue square belongs to Chen.")
    items = [Example("a.png", "Whose?", "Aldo", note), Example("a.png", "Colour?", "red"),
             Example("b.png", "Whose?", "Chen", note[::-1])]  # fmt: skip
    for _ in range(2):
        vectors, known = encoder.knowledge(items)
    assert asked == [list(note)]  # one call, each passage once, none again the second time
    assert known.tolist() == [[True, True], [False, False], [True, True]]
    assert vectors[0, 0].tolist() == [31.0, 4.0, 1.0] == vectors[2, 1].tolist()
    assert vectors[1].abs().sum() == 0
