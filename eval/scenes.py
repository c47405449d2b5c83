"""A CLEVR-style scene generator (after Johnson et al., CLEVR, 2017, drawn flat with PIL):
2-4 objects per scene with a shape, colour, size and place; templated captions and questions
about counts, colours and positions; and an inventory note per scene (whose each object is)
with questions that need both the picture and the note.

The owners are drawn per scene from a fixed pool, so no model can learn them from the
pictures: only one that reads the note answers "Whose is the object on the left?".

    python -m eval.scenes OUT_DIR [--train 2000] [--test 300] [--seed 0]

writes ``OUT_DIR/{train,test}/*.png`` and ``OUT_DIR/{train,test}.jsonl`` (one question per
line: image, question, answer, kind, passages) and ``OUT_DIR/{train,test}-notes/*.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from tools.fusion_vlm.data import CAPTION_PROMPT

SHAPES = ("circle", "square", "triangle")
COLOURS = {"red": (200, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 210),
           "yellow": (230, 200, 40), "purple": (130, 50, 170), "gray": (120, 120, 120)}  # fmt: skip
SIZES = {"small": 22, "large": 40}  # radius in pixels on a 224x224 canvas
OWNERS = ("Aldo", "Berit", "Chen", "Dara", "Emil", "Farah", "Goran", "Hana")
NUMBERS = ("zero", "one", "two", "three", "four")
PLACES = ("at the top", "in the middle", "at the bottom")
CANVAS = 224


@dataclass(frozen=True)
class Thing:
    shape: str
    colour: str
    size: str
    x: int
    y: int
    owner: str

    @property
    def name(self) -> str:
        return f"{self.size} {self.colour} {self.shape}"

    @property
    def place(self) -> str:
        """Where it is from top to bottom, in thirds of the canvas."""
        return PLACES[min(2, self.y * 3 // CANVAS)]


@dataclass(frozen=True)
class Question:
    image: str
    question: str
    answer: str
    kind: str  # count | colour | position | caption | knowledge
    passages: tuple[str, ...] = ()


def scene(rng: random.Random) -> list[Thing]:
    """2-4 objects, no two overlapping, distinct (colour, shape) pairs, left to right."""
    things: list[Thing] = []
    owners, wanted = rng.sample(OWNERS, 4), rng.randint(2, 4)
    while len(things) < wanted:
        shape, colour, size = rng.choice(SHAPES), rng.choice(list(COLOURS)), rng.choice(list(SIZES))
        r = SIZES[size]
        x, y = rng.randint(r + 4, CANVAS - r - 4), rng.randint(r + 4, CANVAS - r - 4)
        # Apart in the picture, and clearly left or right of each other (for the questions).
        clear = all(math.hypot(x - t.x, y - t.y) > r + SIZES[t.size] + 6 and abs(x - t.x) > 12
                    for t in things)  # fmt: skip
        if clear and all((t.colour, t.shape) != (colour, shape) for t in things):
            things.append(Thing(shape, colour, size, x, y, owners[len(things)]))
    return sorted(things, key=lambda t: t.x)


def draw(things: list[Thing]) -> Image.Image:
    image = Image.new("RGB", (CANVAS, CANVAS), (215, 215, 210))
    pen = ImageDraw.Draw(image)
    for t in things:
        r, fill = SIZES[t.size], COLOURS[t.colour]
        box = (t.x - r, t.y - r, t.x + r, t.y + r)
        if t.shape == "circle":
            pen.ellipse(box, fill=fill)
        elif t.shape == "square":
            pen.rectangle(box, fill=fill)
        else:
            pen.polygon([(t.x, t.y - r), (t.x - r, t.y + r), (t.x + r, t.y + r)], fill=fill)
    return image


def note(things: list[Thing], rng: random.Random) -> tuple[str, ...]:
    """The scene's inventory note, one sentence per object (the knowledge file's passages), in
    an order of its own: listed left to right, the note alone would tell whose is leftmost.
    Each object is named as the picture shows it (size, colour, shape, height), so that among
    the many notes that look alike only the picture tells which one is this scene's."""
    return tuple(f"The {t.name} {t.place} belongs to {t.owner}."
                 for t in rng.sample(things, len(things)))  # fmt: skip


def caption(things: list[Thing]) -> str:
    names = [f"a {t.name} {t.place}" for t in things]
    return (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else names[0]


def questions(
    things: list[Thing], image: str, rng: random.Random, passages: tuple[str, ...]
) -> Iterator[Question]:
    yield Question(image, CAPTION_PROMPT, caption(things), "caption")
    colour = rng.choice(list(COLOURS))
    count = sum(t.colour == colour for t in things)
    yield Question(image, f"How many {colour} objects are there?", NUMBERS[count], "count")
    shape = rng.choice(SHAPES)
    count = sum(t.shape == shape for t in things)
    yield Question(image, f"How many {shape}s are there?", NUMBERS[count], "count")
    unique = [t for t in things if sum(u.shape == t.shape for u in things) == 1]
    if unique:
        t = rng.choice(unique)
        yield Question(image, f"What colour is the {t.shape}?", t.colour, "colour")
    side, t = rng.choice((("left", things[0]), ("right", things[-1])))
    yield Question(image, f"What shape is furthest to the {side}?", t.shape, "position")
    a, b = rng.sample(things, 2)
    yield Question(image, f"Is the {a.colour} {a.shape} left of the {b.colour} {b.shape}?",
                   "yes" if a.x < b.x else "no", "position")  # fmt: skip
    side, t = rng.choice((("left", things[0]), ("right", things[-1])))
    yield Question(image, f"Whose is the object furthest to the {side}?", t.owner, "knowledge",
                   passages)  # fmt: skip


def drawn(
    split: str, scenes: int, seed: int
) -> Iterator[tuple[int, list[Thing], tuple[str, ...], list[Question]]]:
    """A split's scenes in order: number, objects, note and questions (one random stream for
    the scenes and questions, so a split is the same wherever it is drawn)."""
    rng = random.Random(f"{seed}:{split}")
    for n in range(scenes):
        things = scene(rng)
        # Its own stream: the scenes and questions stay those of earlier versions.
        passages = note(things, random.Random(f"{seed}:{split}:{n}:note"))
        yield n, things, passages, list(questions(things, f"{split}/{n:05d}.png", rng, passages))


def generate(out: Path, split: str, scenes: int, seed: int) -> Path:
    """Draw ``scenes`` scenes into ``out/split`` and write their questions to ``out/split.jsonl``
    and their notes to ``out/split-notes`` (a folder the knowledge base can ingest)."""
    (out / split).mkdir(parents=True, exist_ok=True)
    (out / f"{split}-notes").mkdir(parents=True, exist_ok=True)
    lines = []
    for n, things, passages, asked in drawn(split, scenes, seed):
        draw(things).save(out / split / f"{n:05d}.png")
        text = f"# Inventory of scene {split} {n:05d}\n\n" + "\n".join(passages) + "\n"
        (out / f"{split}-notes" / f"{n:05d}.md").write_text(text)
        lines += [json.dumps(asdict(q)) for q in asked]
    target = out / f"{split}.jsonl"
    target.write_text("\n".join(lines) + "\n")
    return target


def kinds(path: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in path.read_text().splitlines()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.scenes", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for split, count in (("train", args.train), ("test", args.test)):
        print(generate(args.out, split, count, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
