"""Build the real-photo held-out set (issue 28): natural photographs, not cut-outs, from
Debian's wallpaper and game packages, with questions a new user would ask about them.

Sources (each photo's package, file, author and licence go to ``SOURCES.md``):
lomiri-wallpapers-16.04/-20.04 (CC-BY / CC-BY-SA photos by named authors), mate-backgrounds
(GPL-2+), plasma-workspace-wallpapers (licence per wallpaper, from its metadata), palapeli-data
(GPL-2+), jigzo-data (GPL-2+; its penguin is CC-BY-NC-SA and left out), enlightenment-data
(BSD-2-clause) and lxqt-themes (LGPL-2.1+). None is a scikit-image, scikit-learn or
matplotlib sample, nor a picture any other installed package ships. Eight drawings and a
logo from the same packages are there for "is this a photo?" questions. Rebuild (the
result is committed; the build is deterministic but for the DOCX and PDF timestamps):

    mkdir -p /tmp/debs && cd /tmp/debs && apt-get download lomiri-wallpapers-16.04 \\
        lomiri-wallpapers-20.04 mate-backgrounds plasma-workspace-wallpapers palapeli-data \\
        jigzo-data enlightenment-data lxqt-themes ukui-wallpapers
    for f in *.deb; do dpkg-deb -x "$f" "x_${f%%_*}"; done
    .venv/bin/python eval/photos/build.py /tmp/debs

Kinds of question: naming; the main thing's colour (``colour-fill`` when it fills the
frame); writing in a picture that has none; counts and positions (``may_refuse``: the
packaged models cannot count or locate, so an honest "I can't tell" is right too); "can you
see..." questions no packaged fact settles (``cant-tell``: only "I can't tell" is right for a
model that sees only those facts); the kind of image; and document traps (a name near the
subject but not about it, a fact split across a document's pages). Conversations are split by
a hash of their id into ``dev.jsonl`` (tune on it) and ``test.jsonl`` (report only).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
SIDE = 800  # longest side of the committed copies

L16 = "lomiri-wallpapers-16.04:usr/share/backgrounds/"
L20 = "lomiri-wallpapers-20.04:usr/share/backgrounds/"
MATE = "mate-backgrounds:usr/share/backgrounds/mate/"
PL = "plasma-workspace-wallpapers:usr/share/wallpapers/"
PAL = "palapeli-data:usr/share/palapeli/collection/"
JZ = "jigzo-data:usr/share/games/jigzo/puzzles/00_default/"
E = "enlightenment-data:usr/share/enlightenment/data/backgrounds/"
LX = "lxqt-themes:usr/share/lxqt/wallpapers/"
UK = "ukui-wallpapers:usr/share/backgrounds/"

LICENCES = {
    "mate-backgrounds": "GPL-2+",
    "palapeli-data": "GPL-2+",
    "jigzo-data": "GPL-2+",
    "enlightenment-data": "BSD-2-clause",
    "lxqt-themes": "LGPL-2.1+",
    "ukui-wallpapers": "GPL-2+",
}


# fmt: off
def photo_questions() -> dict[str, tuple[str, list[dict]]]:
    """Photo id -> (source, turns). The first turn carries the picture."""
    return {
        "bridge-cables": (L16 + "Bridge_by_Sander_Klootwijk.jpg", [
            name("bridge", "cable", "wire", "sky", "beach", "shore", "sand", "coast"),
            cant("Is anyone walking on the sand?"),
            kind(photo=True)]),
        "catkin-branch": (L16 + "Dragonfly_by_Bolly.jpg", [
            name("dragonfly", "insect", "branch", "tree", "leaves", "leaf", "plant"),
            colour("sky", "blue"),
            cant("What kind of tree is it?")]),
        "fig-bowl": (L16 + "Picture_0B_by_freespace.jpg", [
            name("fig", "fruit", "bowl"),
            colour("bowl", "red", "orange"),
            where("Is the bowl's shadow on its left or its right?", "left")]),
        "paint-brushes": (L16 + "Picture_1A_by_freespace.jpg", [
            name("brush", "paintbrush", "brushes"),
            cant("How many brushes are there?"),
            no_text()]),
        "drum-room": (L16 + "Wine_by_Jakkub_Mede.jpg", [
            name("drum", "djembe"),
            where("What stands on the table?", "wine", "bottle"),
            cant("What music is playing in the room?")]),
        "autumn-mountain": (L16 + "aitzgorri_by_Aitzol_Berasategi.jpg", [
            name("mountain", "alp", "valley", "forest", "trees", "hill", "meadow", "landscape"),
            colour("grass", "green"),
            cant("How high is the mountain?")]),
        "toy-bird-lamp": (L16 + "free_by_Peter_Nerlich.jpg", [
            name("bird", "lamp", "light", "toy", "ornament"),
            cant("What is the bird made of?")]),
        "two-dogs": (L16 + "friends_by_Aitzol_Berasategi.jpg", [
            name("dog", "dogs", "spaniel", "puppy", "puppies"),
            count("How many dogs are there?", "two", "2"),
            colour("dogs", "brown", "tan", "golden", "ginger", "orange", "red")]),
        "wall-clock": (L16 + "greentock_by_Peter_Nerlich.jpg", [
            name("clock"),
            cant("What time does the clock show?"),
            kind(photo=True)]),
        "forest-stream": (L16 + "life_by_Aitzol_Berasategi.jpg", [
            name("stream", "river", "creek", "waterfall", "forest", "rocks", "water", "brook",
                 "landscape"),
            cant("Are there any fish in the water?")]),
        "mountain-path": (L16 + "picosdeeuropa_by_Aitzol_Berasategi.jpg", [
            name("mountain", "alp", "path", "valley", "trail", "cliff", "landscape"),
            colour("sky", "blue"),
            no_text()]),
        "dandelions": (L16 + "seeding_by_Clements_Engelhardt.jpg", [
            name("dandelion", "flower", "seed", "field", "meadow", outside=True),
            cant("Who took this photo?")]),
        "mountain-sunset": (L16 + "sunset_by_Aitzol_Berasategi.jpg", [
            name("sunset", "sun", "mountain", "sky", "hill", "sunrise", "landscape"),
            cant("In which country was this taken?")]),
        "nuthatch": (L20 + "Kleiber_by_Lukas_Baubkus.jpg", [
            name("bird", "nuthatch", outside=True),
            cant("What is the bird eating?")]),
        "water-drop": (MATE + "nature/Aqua.jpg", [
            name("water", "drop", "splash", "droplet", "bubble", "liquid"),
            colour("water", "blue", "gray", "white", "silver", "light blue", fills=True),
            kind(photo=True)]),
        "leaf-veins": (MATE + "nature/Blinds.jpg", [
            name("leaf", "plant", "leaves", outside=True),
            colour("leaf", "green", "lime", fills=True),
            no_text()]),
        "dune-grass": (MATE + "nature/Dune.jpg", [
            name("grass", "dune", "beach", "sea", "seashore", "shore", "sand", "coast",
                 "landscape"),
            colour("grass", "yellow", "golden", "gold", "tan", "beige", "brown", "orange"),
            cant("How many people are on the beach?")]),
        "orange-flower": (MATE + "nature/FreshFlower.jpg", [
            name("flower", "dahlia", "gerbera", "petals", "blossom", outside=True),
            colour("flower", "orange", "red", fills=True),
            no_text()]),
        "marigold": (MATE + "nature/Garden.jpg", [
            name("flower", "marigold", "blossom", outside=True),
            colour("flower", "red", "orange"),
            cant("Who planted this flower?")]),
        "grass": (MATE + "nature/GreenMeadow.jpg", [
            name("grass", "lawn", "meadow", "plant", "field", "wheat", outside=True),
            colour("grass", "green", "lime", fills=True),
            cant("How tall is the grass?")]),
        "ladybird": (MATE + "nature/LadyBird.jpg", [
            name("ladybird", "ladybug", "beetle", "insect", "flower", "bug"),
            colour("small flowers", "blue", "purple", "light blue", "violet"),
            cant("How many spots does the ladybird have?")]),
        "raindrops-leaf": (MATE + "nature/RainDrops.jpg", [
            name("leaf", "leaves", "water", "drops", "raindrop", "plant", "grass", outside=True),
            colour("leaves", "green", fills=True),
            no_text()]),
        "storm-road": (MATE + "nature/Storm.jpg", [
            name("storm", "cloud", "clouds", "sky", "road", "highway", "field", "landscape"),
            colour("sky", "gray", "dark", "blue", "navy", "slate", "black"),
            cant("Is it raining?")]),
        "dandelion-seeds": (MATE + "nature/TwoWings.jpg", [
            name("dandelion", "seed", "seeds", "flower", outside=True),
            colour("flowers in the background", "orange", "yellow", "red"),
            count("How many seeds are left on the stalk?", "two", "2")]),
        "wooden-floor": (MATE + "nature/Wood.jpg", [
            name("wood", "floor", "board", "plank", "table", "deck", "wooden", outside=True),
            colour("wood", "white", "beige", "gray", "cream", "light", "pale", "green",
                   fills=True),
            no_text()]),
        "yellow-flower": (MATE + "nature/YellowFlower.jpg", [
            name("flower", "daisy", "sunflower", "blossom", "petals", outside=True),
            colour("petals", "yellow", "gold", "orange", fills=True),
            no_text()]),
        "jetty-boards": (PL + "BytheWater/contents/images/", [
            name("pier", "dock", "jetty", "boardwalk", "lake", "water", "wood", "planks",
                 "boards", "lakeside", "bench", "table"),
            cant("What is the name of this lake?")]),
        "pier-fog": (PL + "ColdRipple/contents/images/", [
            name("pier", "dock", "jetty", "fog", "boardwalk", "lake", "mist"),
            colour("picture", "black and white", "grayscale", "gray", "monochrome", "white"),
            kind(photo=True)]),
        "cups": (PL + "ColorfulCups/contents/images/", [
            name("cup", "cups", "glass", "glasses", "mugs"),
            colour("cups", "blue", "pink", "red", "purple", "white"),
            no_text()]),
        "lake-dusk": (PL + "DarkestHour/contents/images/", [
            name("lake", "lakeside", "water", "fog", "mist", "dusk", "night", "sky", "landscape"),
            colour("picture", "blue", "navy", "dark blue"),
            count("Is there a boat on the lake?", "no")]),
        "rowing-boats": (PL + "EveningGlow/contents/images/", [
            name("boat", "boats", "rowboat", "canoe", "lake", "sunset", "lakeside"),
            colour("boats", "brown", "orange", "red", "wood", "tan"),
            cant("How many boats are there?")]),
        "fallen-leaf": (PL + "FallenLeaf/contents/images/", [
            name("leaf", "leaves", "maple", "autumn", outside=True),
            colour("leaf", "brown", "orange", "tan", "golden", "yellow"),
            no_text()]),
        "moss-star": (PL + "OneStandsOut/contents/images/", [
            name("moss", "plant", "leaves", "plants", "succulent", outside=True),
            colour("plants", "green", "dark green"),
            cant("How big is each plant?")]),
        "forest-path": (PL + "Path/contents/images/", [
            name("forest", "trees", "woods", "path", "tree", "landscape"),
            colour("forest", "green", "dark green", fills=True),
            count("Is there an animal on the path?", "no")]),
        "lake-night": (PL + "summer_1am/contents/images/", [
            name("lake", "lakeside", "water", "sunset", "dusk", "sky", "reeds", "sea", "landscape"),
            colour("sky", "purple", "pink", "blue", "violet", "lavender", "magenta"),
            no_text()]),
        "chateau": (PAL + "castle-maintenon.jpg", [
            name("castle", "palace", "chateau", "mansion", "building"),
            colour("sky", "blue"),
            cant("In which year was this castle built?")]),
        "bridge-night": (PAL + "cincinnati-bridge.jpg", [
            name("bridge", "river", "night", "city"),
            cant("What is the name of this bridge?"),
            count("Was this taken by day or at night?", "night")]),
        "citrus-slices": (PAL + "citrus-fruits.jpg", [
            name("orange", "lemon", "lime", "fruit", "citrus", "grapefruit", "slices"),
            colour("fruit slices", "orange", "yellow", "green"),
            cant("How many slices are there?")]),
        "honey-bee": (PAL + "european-honey-bee.jpg", [
            name("bee", "honeybee", "insect", "flower"),
            colour("flower", "purple", "violet", "lilac", "magenta", "pink", "lavender"),
            cant("Is the bee collecting pollen?")]),
        "chameleon": (PAL + "panther-chameleon-female.jpg", [
            name("chameleon", "lizard", "reptile", "iguana", "gecko"),
            colour("chameleon", "orange", "black", "brown", "dark"),
            cant("Is it male or female?")]),
        "pink-bike": (JZ + "bike-3x4.pzl", [
            name("bicycle", "bike", "tricycle"),
            colour("bicycle", "pink", "magenta", "red"),
            cant("Who owns this bike?")]),
        "kookaburra": (JZ + "bird-2x3.pzl", [
            name("bird", "kookaburra", "kingfisher", outside=True),
            colour("bird", "white", "brown", "gray"),
            cant("What is the bird's name?")]),
        "blackberries": (JZ + "blackberry-3x3.pzl", [
            name("blackberry", "blackberries", "berries", "fruit", "berry", outside=True),
            colour("ripe berries", "black", "dark", "purple"),
            cant("How many berries are there?")]),
        "castle-wall": (JZ + "castle-6x3.pzl", [
            name("castle", "fort", "fortress", "wall", "tower"),
            colour("wall", "brown", "tan", "beige", "orange", "yellow", "sand"),
            cant("How old is this castle?")]),
        "clouds-tree": (JZ + "clouds-4x4.pzl", [
            name("tree", "clouds", "sky", "branches", "cloud", outside=True),
            colour("sky", "blue"),
            no_text()]),
        "gorilla": (JZ + "gorilla2-3x3.pzl", [
            name("gorilla", "ape", "monkey", "primate"),
            colour("gorilla", "black", "gray", "dark", "silver"),
            cant("How heavy is the gorilla?")]),
        "helicopter": (JZ + "heli-4x3.pzl", [
            name("helicopter", "aircraft", outside=True),
            where("What is below the helicopter?", "boat", "sailboat", "ship", "yacht"),
            cant("Where is the helicopter flying to?")]),
        "horse": (JZ + "horse-4x3.pzl", [
            name("horse", "pony", "sorrel"),
            colour("horse", "brown", "chestnut", "sorrel", "tan", "orange"),
            cant("What is the horse's name?")]),
        "toy-train": (JZ + "train-2x2.pzl", [
            name("train", "locomotive", "steam", "engine"),
            colour("locomotive", "black", "green", "red"),
            cant("Where does this train go?")]),
        "playground-slide": (JZ + "tobogan-4x3.pzl", [
            name("slide", "playground", outside=True),
            count("Are children playing on it?", "no"),
            cant("How tall is the slide?")]),
        "windmill": (JZ + "windmill-4x4.pzl", [
            name("windmill", "mill", outside=True),
            colour("sky", "blue"),
            cant("When was the windmill built?")]),
        "bamboo": (E + "Bamboo.edj", [
            name("bamboo", "plant", "trees", "stems", "tree", outside=True),
            colour("leaves", "green"),
            no_text()]),
        "god-rays": (E + "God-Rays.edj", [
            name("clouds", "cloud", "sky", "sun", "sunbeams", "rays", "light"),
            colour("clouds", "gray", "dark", "white", "black"),
            cant("Is it going to rain?")]),
        "green-maple": (E + "Green-Maple.edj", [
            name("maple", "leaves", "tree", "leaf", outside=True),
            colour("leaves", "green", "lime", fills=True),
            no_text()]),
        "lichen": (E + "Lichen-Branches.edj", [
            name("lichen", "moss", "branches", "plant", "branch", outside=True),
            colour("lichen", "gray", "green", "beige", "dark", "olive"),
            cant("What season is it?")]),
        "snowy-mountain": (E + "Mountain.edj", [
            name("mountain", "alp", "snow", "peak", "summit", "mountains", "landscape"),
            colour("sky", "gray", "dark", "black", "slate"),
            cant("How high is the mountain?")]),
        "peaks-dusk": (E + "Peaks.edj", [
            name("mountain", "peak", "alp", "cliff", "mountains", "night", "dusk", "landscape"),
            cant("Is there a village below the mountain?"),
            kind(photo=True)]),
        "red-maple": (E + "Red-Maple.edj", [
            name("maple", "leaves", "tree", "leaf", outside=True),
            colour("leaves", "red", "dark red", "crimson", fills=True),
            no_text()]),
        "lanterns": (E + "Sea-of-Lanterns.edj", [
            name("lantern", "lanterns", "umbrella", "umbrellas", "lamp", "lights", "lamps",
                 outside=True),
            colour("lanterns", "orange", "red", "blue"),
            cant("How many lanterns are there?")]),
        "snow-trees": (E + "Snow-Trees.edj", [
            name("tree", "trees", "snow", "birch", "winter"),
            colour("ground", "white", "blue", "light blue", "gray"),
            cant("How cold is it?")]),
        "spruce": (E + "Spruce-Needles.edj", [
            name("spruce", "fir", "pine", "needles", "branch", "conifer", "tree", outside=True),
            colour("needles", "blue", "gray", "green", "dark"),
            no_text()]),
        "sunset-clouds": (E + "Sunset-Clouds.edj", [
            name("clouds", "cloud", "sky", "sunset", "storm"),
            colour("clouds", "gray", "dark", "black", "orange", "brown"),
            cant("Which city is this above?")]),
        "frangipani": (E + "White-Flower.edj", [
            name("flower", "frangipani", "plumeria", "blossom", outside=True),
            colour("flower", "white", "yellow"),
            no_text()]),
        "yellow-blossom": (E + "Yellow-Flower.edj", [
            name("flower", "oleander", "blossom", "plant", outside=True),
            colour("flower", "yellow", "gold"),
            cant("What does the flower smell like?")]),
        "valendas": (LX + "Valendas.png", [
            name("mountain", "mountains", "clouds", "valley", "sky", "alp", "landscape"),
            cant("Is there snow on the peaks?"),
            no_text()]),
        "after-rain": (LX + "after-the-rain.jpg", [
            name("clouds", "cloud", "sunset", "sky", "storm"),
            colour("clouds", "gray", "dark", "orange", "black", "brown"),
            no_text()]),
        "apple-blossom": (LX + "appleflower.png", [
            name("blossom", "flower", "branch", "bud", "plant", outside=True),
            colour("flowers", "pink", "red", "magenta", "white"),
            cant("What kind of tree is this from?")]),
        "butterfly": (LX + "butterfly.png", [
            name("butterfly", "swallowtail", "insect", "flower", "moth"),
            colour("butterfly", "white", "black", "yellow", "cream", "striped"),
            count("How many butterflies are there?", "one", "1", "single")]),
        "cloudscape": (LX + "cloud.png", [
            name("clouds", "sky", "cloud"),
            colour("sky", "blue"),
            no_text()]),
        "grass-drop": (LX + "drop.png", [
            name("drop", "water", "grass", "dew", "droplet", "leaf", "blade", outside=True),
            colour("picture", "green", fills=True),
            cant("What time of day is it?")]),
        "wildflowers": (LX + "flowers.png", [
            name("flowers", "flower", "meadow", "field", "anemone", "wildflowers",
                 outside=True),
            colour("flowers", "purple", "pink", "blue", "violet", "magenta"),
            no_text()]),
        "fog-field": (LX + "fog.jpg", [
            name("field", "fog", "mist", "hill", "landscape", "farm", "meadow"),
            colour("field", "brown", "tan", "orange", "golden", "ochre", "yellow"),
            cant("What crop grows in this field?")]),
        "hills": (LX + "this-is-not-windows.jpg", [
            name("hill", "hills", "field", "landscape", "valley", "sky", "grassland", "meadow"),
            colour("sky", "blue"),
            cant("How many trees are in the field?")]),
    }


def drawing_questions() -> dict[str, tuple[str, list[dict]]]:
    art = ("drawing", "illustration", "painting", "artwork", "art", "graphic", "digital",
           "rendered", "rendering", "computer", "abstract", "logo", "cartoon", "design")
    return {
        "fossa-art": (L20 + "Fossa_by_Jasper_Roks.jpg", [kind(art)]),
        "milky-sea-art": (L20 + "Infinite-Sea_by_Aury88.jpg", [kind(art)]),
        "altai-art": (PL + "Altai/contents/images/", [kind(art), name("mountain", "lake",
                                                                        "landscape", "alp")]),
        "rocket-art": (PL + "SafeLanding/contents/images/", [kind(art)]),
        "autumn-painting": (PL + "Autumn/contents/images/", [kind(art)]),
        "dunes-art": (E + "Dunes.edj", [kind(art), name("desert", "dune", "dunes", "sand")]),
        "goldfish-art": (UK + "goldfish.png", [kind(art), name("fish", "goldfish")]),
        "mate-logo": (MATE + "desktop/GreenTraditional.jpg", [
            {"question": "What is this picture?", "kind": "kind",
             "keywords": ["logo|symbol|icon|emblem|graphic"]},
            {"question": "What is written under the symbol?", "kind": "text",
             "keywords": ["traditional desktop"]}]),
    }

# fmt: on


def name(*answers: str, outside: bool = False) -> dict:
    return {
        "question": "What is in this picture?",
        "kind": "naming",
        "answers": list(answers),
        "outside_labels": outside,
    }


def colour(thing: str, *accepted: str, fills: bool = False) -> dict:
    return {
        "question": f"What colour is the {thing}?",
        "kind": "colour-fill" if fills else "colour",
        "keywords": ["|".join(accepted)],
    }


def kind(accepted: tuple[str, ...] = (), photo: bool = False) -> dict:
    wanted = ("photo", "photograph") if photo else accepted
    return {
        "question": "Is this a photograph or a drawing?",
        "kind": "kind",
        "keywords": ["|".join(wanted)],
    }


def no_text() -> dict:
    """A picture with no writing: stray OCR glyphs read as text are the failure."""
    return {
        "question": "What is written in this picture?",
        "kind": "no-text",
        "keywords": [
            "no text|any text|no writing|any writing|no visible text|no words|"
            "nothing written|not contain text|no readable|nothing is written"
        ],
        "may_refuse": True,
    }


def cant(question: str) -> dict:
    return {"question": question, "kind": "cant-tell", "unanswerable": True}


def count(question: str, *answers: str) -> dict:
    return {"question": question, "kind": "count", "answers": list(answers), "may_refuse": True}


def where(question: str, *answers: str) -> dict:
    return {"question": question, "kind": "position", "answers": list(answers), "may_refuse": True}


# fmt: off
def document_conversations() -> list[dict]:
    """Traps: a name near the subject but not about it, and a fact split across pages."""
    return [
        {"id": "doc-allotment", "documents": ["docs/allotment.md"], "turns": [
            {"question": "What colour is this flower?", "images": ["images/orange-flower.jpg"],
             "kind": "colour-fill", "keywords": ["orange|red"]},
            {"question": "Who planted the tomatoes in bed 5?", "kind": "doc-trap",
             "unanswerable": True, "forbidden": ["Mira"]},
            {"question": "Who planted the dahlias in bed 3?", "kind": "knowledge",
             "keywords": ["Mira"], "sources": ["allotment.md"], "support": "Mira Kovac"}]},
        {"id": "doc-parcel", "documents": ["docs/northwind-guide.pdf"], "turns": [
            {"question": "Within how many days can a parcel be returned to Northwind?",
             "kind": "doc-split", "keywords": ["21"], "sources": ["northwind-guide.pdf"]},
            {"question": "Who sent me this bike?", "images": ["images/pink-bike.jpg"],
             "kind": "doc-trap", "unanswerable": True, "forbidden": ["Northwind"]}]},
        {"id": "doc-house", "documents": ["docs/house-rules.docx"], "turns": [
            {"question": "How much does it cost to charge an electric car at Maple Court?",
             "kind": "doc-split", "keywords": ["0.32"], "sources": ["house-rules.docx"]},
            {"question": "Who is the caretaker?", "kind": "knowledge",
             "keywords": ["Halvorsen"], "sources": ["house-rules.docx"]},
            {"question": "Who owns these dogs?", "images": ["images/two-dogs.jpg"],
             "kind": "doc-trap", "unanswerable": True, "forbidden": ["Halvorsen", "Ingrid"]}]},
        {"id": "doc-castle", "documents": ["docs/castle-visits.md"], "turns": [
            {"question": "What is in this picture?", "images": ["images/chateau.jpg"],
             "kind": "naming", "answers": ["castle", "palace", "chateau", "mansion"]},
            {"question": "When do the guided tours start?", "kind": "knowledge",
             "keywords": ["14:00|2 pm|2pm"], "sources": ["castle-visits.md"]},
            {"question": "Who designed this castle?", "kind": "doc-trap",
             "unanswerable": True, "forbidden": ["Ardent"]}]},
        {"id": "doc-orchard", "documents": ["docs/orchard-log.pdf"], "turns": [
            {"question": "On which day were the apple trees pruned at Hollow Farm?",
             "kind": "doc-split", "keywords": ["12 March|March 12"],
             "sources": ["orchard-log.pdf"]},
            {"question": "What colour are these flowers?", "images": ["images/apple-blossom.jpg"],
             "kind": "colour", "keywords": ["pink|red|magenta|white"]},
            {"question": "Who planted the pear trees?", "kind": "doc-trap",
             "unanswerable": True, "forbidden": ["Okafor"]}]},
    ]

# fmt: on


def write_documents(folder: Path) -> None:
    import docx
    from fpdf import FPDF

    from eval.drawing import text_image

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "allotment.md").write_text(
        "# Elm Row allotment notes\n\nBed 3 holds the orange dahlias that Mira Kovac planted "
        "in May. Bed 5 holds tomatoes; they came from the spring seed swap. Bed 7 is left "
        "fallow this year.\n",
        encoding="utf-8",
    )
    (folder / "castle-visits.md").write_text(
        "# Visiting the chateau\n\nGuided tours of the chateau start at 14:00 every day but "
        "Tuesday. The gardener, Paul Ardent, trims the box hedges on Mondays, when the "
        "garden is closed.\n",
        encoding="utf-8",
    )

    def two_pages(path: Path, first: str, scanned: list[str]) -> None:
        pdf = FPDF()
        pdf.set_font("helvetica", size=12)
        pdf.add_page()
        pdf.multi_cell(0, 7, first)
        pdf.add_page()  # the second page is a scan: an image with no text layer
        scan = folder / f".{path.stem}-scan.png"
        text_image(scanned, size=36, width=1200).save(scan)
        pdf.image(str(scan), x=10, y=20, w=190)
        pdf.output(str(path))
        scan.unlink()

    two_pages(
        folder / "northwind-guide.pdf",
        "Northwind Parcels shipping guide\n\nNorthwind Parcels delivers within Europe in "
        "two to four working days. Parcels may weigh up to 20 kg.",
        ["Returns", "A parcel can be returned within 21 days", "of delivery. Keep the receipt."],
    )
    two_pages(
        folder / "orchard-log.pdf",
        "Hollow Farm orchard log\n\nHollow Farm keeps forty apple trees and six pear "
        "trees. Chidi Okafor looks after the bees.",
        [
            "Winter work",
            "The apple trees were pruned on 12 March.",
            "The grass was cut in late April.",
        ],
    )
    rules = docx.Document()
    rules.add_heading("House rules", 1)
    rules.add_paragraph(
        "These rules apply to all residents of Maple Court, a block of 24 flats on Linden Street."
    )
    rules.add_paragraph("Glass is collected on Tuesdays and paper on Fridays.")
    rules.add_paragraph("The caretaker is Ms Ingrid Halvorsen, extension 212.")
    table = rules.add_table(rows=3, cols=2)
    rows = [
        ("Service", "Price"),
        ("Electric car charger", "0.32 euros per kWh"),
        ("Guest room", "25 euros per night"),
    ]
    for row, cells in zip(table.rows, rows, strict=True):
        row.cells[0].text, row.cells[1].text = cells
    rules.save(folder / "house-rules.docx")


def _image(root: Path, spec: str) -> Image.Image:
    package, rel = spec.split(":", 1)
    path = root / f"x_{package}" / rel
    if path.is_dir():  # a Plasma wallpaper: its largest size
        path = max(path.iterdir(), key=lambda f: f.stat().st_size)
    if path.suffix == ".pzl":  # a jigzo puzzle: its first JPEG is the whole picture
        data = path.read_bytes()
        picture = Image.open(io.BytesIO(data[data.find(b"\xff\xd8\xff") :]))
        return picture.crop((4, 4, picture.width - 4, picture.height - 4))  # its frame
    if path.suffix == ".edj":  # an Enlightenment background: its largest JPEG
        data, best, start = path.read_bytes(), None, 0
        while (start := data.find(b"\xff\xd8\xff", start)) >= 0:
            try:
                candidate = Image.open(io.BytesIO(data[start:]))
                candidate.load()
                if best is None or candidate.width * candidate.height > best.width * best.height:
                    best = candidate
            except OSError:
                pass
            start += 3
        assert best is not None, path
        return best
    return Image.open(path)


def _licence(root: Path, spec: str) -> tuple[str, str]:
    """(author, licence) from the package's copyright file or the wallpaper's metadata."""
    package, rel = spec.split(":", 1)
    if package == "plasma-workspace-wallpapers":
        folder = (root / f"x_{package}" / rel).parent.parent
        if (folder / "metadata.json").exists():
            meta = json.loads((folder / "metadata.json").read_text())["KPlugin"]
            return ", ".join(a["Name"] for a in meta.get("Authors", [])), meta.get("License", "")
        desktop = (folder / "metadata.desktop").read_text()
        field = dict(re.findall(r"X-KDE-PluginInfo-(Author|License)=(.*)", desktop))
        return field.get("Author", ""), field.get("License", "")
    if package.startswith("lomiri"):
        text = (root / f"x_{package}/usr/share/doc/{package}/copyright").read_text()
        stanza = re.search(
            rf"Files: [^\n]*{re.escape(Path(rel).name)}\nCopyright: ([^\n]*)\n"
            r"License: ([^\n]*)",
            text,
        )
        assert stanza, rel
        return stanza[1].strip(), stanza[2].strip()
    return "see the package's copyright file", LICENCES[package]


def split(conversation_id: str) -> str:
    return "dev" if hashlib.sha256(conversation_id.encode()).digest()[0] % 2 == 0 else "test"


def main(root: Path) -> None:
    images = HERE / "images"
    images.mkdir(exist_ok=True)
    write_documents(HERE / "docs")
    rows, splits = [], {"dev": [], "test": []}
    for group, items in (("photo", photo_questions()), ("drawing", drawing_questions())):
        for picture_id, (spec, turns) in items.items():
            picture = _image(root, spec).convert("RGB")
            picture.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
            picture.save(images / f"{picture_id}.jpg", quality=85)
            turns = [dict(t) for t in turns]
            turns[0]["images"] = [f"images/{picture_id}.jpg"]
            splits[split(picture_id)].append({"id": picture_id, "turns": turns})
            author, licence = _licence(root, spec)
            package, rel = spec.split(":", 1)
            shown = rel.split("/")[-4] if rel.endswith("/") else Path(rel).name
            rows.append(
                f"| {picture_id} | {group} | {package} | `{shown}` | {author} | "
                f"{licence} | {split(picture_id)} |"
            )
    for conversation in document_conversations():
        splits[split(conversation["id"])].append(conversation)
    for name_, conversations in splits.items():
        (HERE / f"{name_}.jsonl").write_text(
            "".join(json.dumps(c) + "\n" for c in conversations), encoding="utf-8"
        )
    header = (
        "# Sources of the real-photo set\n\nBuilt by `build.py` from Debian packages "
        "(bookworm). Each picture is a copy at most 800 pixels a side.\n\n"
        "| id | kind | package | file | author | licence | split |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
    )
    (HERE / "SOURCES.md").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    for name_, conversations in splits.items():
        questions = sum(len(c["turns"]) for c in conversations)
        print(f"{name_}: {len(conversations)} conversations, {questions} questions")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    main(Path(sys.argv[1]))
