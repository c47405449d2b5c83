"""Build the figure-and-photo retrieval set (issue 29): questions that ask for a document's
figure, and real photos whose document must be found among many.

- **Figures**: eight PDF reports and manuals, three figures each, one per page between its
  paragraphs: charts drawn as vector paths, diagrams embedded as bitmaps with no words in
  them. Most carry a "Figure N: ..." caption; a third carry none, and only a sentence nearby
  says what they show. Each question asks for a figure in other words than its caption.
- **Photos**: thirty real photos of ``eval/photos`` (Debian wallpaper and game packages; see
  its ``SOURCES.md``), each the subject of one short document (care notes, a manual, a field
  guide entry) that never shows the photo. Half of the documents are PDFs that carry a
  product shot: another framing of the same photo (cropped, scaled, re-encoded), an easier
  case that is reported apart.

Every document goes into one knowledge base, so each question has 37 others as distractors.
Questions follow the photo set's split (a hash of the photo's id) and, for figures, a hash
of the question's id: ``dev.jsonl`` for tuning, ``test.jsonl`` for reporting only. The
result is committed; rebuild with ``.venv/bin/python eval/figures/build.py``.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import random
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
PHOTOS = HERE.parent / "photos" / "images"
DOCS = HERE / "docs"

# (document, title, [(figure kind, caption or None, the sentence next to it, question)])
REPORTS = [
    ("pump-manual", "AquaFlow P-40 pump: service manual", [
        ("wiring", "Figure 1: Wiring diagram of the pump controller.",
         "The controller sits between the pressure switch and the motor.",
         "Where is the diagram of how the pump controller is wired?"),
        ("exploded", "Figure 2: Exploded view of the impeller housing.",
         "Take the housing apart only when the pump is drained.",
         "Show me the exploded drawing of the impeller housing."),
        ("line", None,
         "The chart below shows how the delivery pressure falls as the flow rises.",
         "Is there a chart of pressure against flow for the pump?"),
    ]),
    ("rainfall-report", "Weather stations of the western coast: 2023 report", [
        ("bars", "Figure 1: Monthly rainfall in Bergen, 2023.",
         "Autumn brought the wettest months of the decade.",
         "Show me the rainfall per month in Bergen."),
        ("line", "Figure 2: Mean daily temperature at the Florø station.",
         "The summer stayed cooler than the ten-year mean.",
         "I need the temperature curve for Florø."),
        ("map", None,
         "The sketch map below shows where the six weather stations stand along the fjord.",
         "Where is the map of the weather stations?"),
    ]),
    ("garden-plan", "Allotment 14: plan for the season", [
        ("plan", "Figure 1: Layout of the raised beds and paths.",
         "Beds one to four get the most sun in the afternoon.",
         "Show me the layout of the raised beds."),
        ("bars", "Figure 2: Harvest per bed in kilograms.",
         "Bed three gave the best harvest thanks to the new compost.",
         "Which figure has the harvest weight of each bed?"),
        ("steps", None,
         "The chart below sets out the watering schedule through the week.",
         "Find the chart of the weekly watering schedule."),
    ]),
    ("bike-service", "Commuter bicycle: service guide", [
        ("routing", "Figure 1: Routing of the rear brake cable through the frame.",
         "Feed the inner cable from the lever end.",
         "How is the rear brake cable routed? Show me the drawing."),
        ("line", "Figure 2: Recommended tyre pressure by rider weight.",
         "Lighter riders can run softer tyres on rough roads.",
         "Show me the tyre pressure chart."),
        ("gauge", None,
         "The illustration below shows how to read the chain wear gauge.",
         "Is there a picture of the chain wear gauge?"),
    ]),
    ("solar-install", "Rooftop solar installation record", [
        ("wiring", "Figure 1: String wiring schematic of the twelve panels.",
         "Each string feeds its own input of the inverter.",
         "Show me the schematic of how the solar panels are wired."),
        ("line", "Figure 2: Output over a clear June day.",
         "Output peaks a little after solar noon.",
         "Where is the graph of the daily power output?"),
        ("bracket", None,
         "The drawing below shows the roof hook and rail of the mounting bracket.",
         "Show me the mounting bracket drawing."),
    ]),
    ("sales-q3", "Third quarter sales review", [
        ("bars", "Figure 1: Revenue by region, third quarter.",
         "The northern region grew fastest.",
         "Show me the revenue per region chart."),
        ("line", "Figure 2: Active customers per week.",
         "Growth slowed in August, as every year.",
         "Is there a graph of the number of customers over time?"),
        ("org", "Figure 3: Organisation of the sales team.",
         "Two new area leads joined in July.",
         "Show me the org chart of the sales team."),
    ]),
    ("coffee-machine", "Barista 2 espresso machine: owner's guide", [
        ("flow", "Figure 1: Water path from the tank to the group head.",
         "The pump draws water through the softening filter.",
         "Where is the diagram of the water path in the machine?"),
        ("bars", None,
         "The chart below gives the descaling interval for each water hardness.",
         "Show me the chart of how often to descale."),
        ("burrs", "Figure 3: The conical burrs of the grinder.",
         "Clean the burrs with a dry brush once a month.",
         "Show me the picture of the grinder burrs."),
    ]),
    ("network-setup", "Home network: how it is set up", [
        ("topology", "Figure 1: Topology of the home network.",
         "The mesh nodes connect back to the router by cable.",
         "Show me the network topology diagram."),
        ("heat", None,
         "The heat map below shows the Wi-Fi signal strength in each room.",
         "Is there a map of the Wi-Fi signal strength?"),
        ("bars", "Figure 3: Bandwidth used per device in a week.",
         "The television uses most of the bandwidth in the evening.",
         "Which chart shows how much bandwidth each device uses?"),
    ]),
]  # fmt: skip

FILLER = (
    "This section describes the work in the order it is done, the parts it needs and the "
    "checks that follow it. Keep this document with the equipment and note every change in "
    "the log at the back."
)

# (photo id, document name, title, text): what a user's own documents say about the thing.
SUBJECTS = [
    ("wall-clock", "hall-clock", "Hall clock care notes",
     "The green wall clock in the hall runs on one AA battery. Change the battery every "
     "autumn when the clocks go back, and keep the clock out of direct sun."),
    ("pink-bike", "kids-bike", "Children's bicycle: checklist",
     "Check the tyre pressure and the brakes of the pink bicycle before each ride. The "
     "saddle height is set for a rider of about 120 cm."),
    ("toy-train", "toy-train", "Wooden toy train set",
     "The wooden train set has an engine and three carriages. Wipe it with a damp cloth; "
     "never soak it, the wood swells."),
    ("helicopter", "helicopter-log", "Helicopter flight log",
     "The helicopter flew four training sorties this month. The rotor blades are due for "
     "inspection after 50 more flight hours."),
    ("cups", "cup-collection", "Ceramic cup collection",
     "The collection holds twelve hand-painted ceramic cups in bright colours. They are "
     "dishwasher safe but keep their colours longer when washed by hand."),
    ("drum-room", "drum-kit", "Practice room and drum kit",
     "The drum kit in the practice room is tuned every two weeks. Replace the snare drum "
     "head once a year."),
    ("windmill", "windmill-visit", "Visiting the old windmill",
     "The windmill by the canal opens on Saturdays. Its sails turn on windy days and the "
     "miller grinds flour for the village bakery."),
    ("honey-bee", "beehive-notes", "Beekeeping notes",
     "The honey bees of hive two forage on the lavender. Check the frames for the queen "
     "every ten days in spring."),
    ("ladybird", "ladybird-note", "Ladybirds in the garden",
     "Ladybirds eat aphids on the roses. Leave a pile of dry stems over winter so that they "
     "have somewhere to hibernate."),
    ("kookaburra", "kookaburra-entry", "Kookaburra: field guide entry",
     "The laughing kookaburra is a large kingfisher of eastern Australia. Its call sounds "
     "like loud laughter at dawn and dusk."),
    ("gorilla", "gorilla-enclosure", "Gorilla enclosure: keeper's notes",
     "The western lowland gorillas are fed at ten and at three. The silverback leads the "
     "group of six."),
    ("chameleon", "chameleon-care", "Panther chameleon care sheet",
     "Keep the panther chameleon's terrarium between 24 and 29 degrees, mist it twice a day "
     "and feed it live insects."),
    ("horse", "stable-notes", "Stable notes",
     "The chestnut horse is ridden on weekdays and turned out to the paddock at weekends. "
     "Its hooves are trimmed every six weeks."),
    ("nuthatch", "bird-feeder", "Birds at the feeder",
     "The nuthatch climbs down the tree trunk head first to reach the feeder. It takes "
     "sunflower seeds and hides them in the bark."),
    ("blackberries", "bramble-patch", "The bramble patch",
     "The blackberries by the fence ripen in late August. Pick them when they are black and "
     "soft, and freeze what you cannot eat."),
    ("citrus-slices", "citrus-recipe", "Candied citrus slices",
     "Slice oranges and lemons thinly, simmer them in syrup for an hour and dry them on a "
     "rack overnight."),
    ("marigold", "marigold-bed", "Marigolds for the borders",
     "Sow the marigolds in April; their orange flowers keep pests away from the tomatoes. "
     "Deadhead them weekly."),
    ("bridge-cables", "bridge-walk", "Bridge walk",
     "The walk crosses the cable-stayed bridge over the river. Its white cables fan out from "
     "one tall pylon."),
    ("chateau", "chateau-visit", "Château visit",
     "The château stands in formal gardens beside a moat. Guided tours of the state rooms "
     "start every hour."),
    ("castle-wall", "castle-ruins", "Castle ruins",
     "The castle ruins keep a long curtain wall with round towers. The wall walk is closed "
     "in icy weather."),
    ("lanterns", "lantern-festival", "Lantern festival",
     "At the lantern festival the street is hung with red paper lanterns. They are lit at "
     "dusk on the last night."),
    ("butterfly", "butterfly-garden", "Butterfly garden",
     "Butterflies visit the buddleia from July. Plant nettles in a corner for the "
     "caterpillars."),
    ("fig-bowl", "fig-harvest", "Fig harvest",
     "The fig tree by the south wall gave two bowls of ripe figs. Eat them within two days "
     "of picking."),
    ("paint-brushes", "studio-brushes", "Studio brushes",
     "Clean the paint brushes in warm soapy water after each session and dry them flat, "
     "bristles never resting on their tips."),
    ("two-dogs", "dog-walking", "Dog walking rota",
     "The two dogs are walked at seven and at six. The older one needs a shorter route "
     "since its hip operation."),
    ("playground-slide", "playground-check", "Playground safety check",
     "Inspect the slide in the playground every month: no loose bolts, no cracks in the "
     "chute, soft ground at its foot."),
    ("rowing-boats", "boat-hire", "Boat hire",
     "Rowing boats can be hired at the lake from May to September. Life jackets are in the "
     "hut by the jetty."),
    ("bamboo", "bamboo-screen", "Bamboo screen",
     "The bamboo along the fence is a clumping kind. Thin out the oldest canes each spring."),
    ("frangipani", "frangipani-care", "Frangipani care",
     "The frangipani flowers from summer into autumn. Let the soil dry out between "
     "waterings and bring it inside below 10 degrees."),
    ("dandelions", "lawn-weeds", "Lawn weeds",
     "Dandelions spread across the lawn in May. Dig out the long tap roots before the "
     "flowers turn to seed heads."),
]  # fmt: skip

PHOTO_QUESTIONS = [
    "Do my documents say anything about this?",
    "Find the document about this.",
    "What do my notes say about this?",
]


def split_of(key: str) -> str:
    return "test" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 5 < 3 else "dev"


def photo_split(photo: str) -> str:
    """The split ``eval/photos`` gave the photo, so that no photo is tuned on in one set and
    reported in another."""
    for line in (HERE.parent / "photos" / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] == photo:
            return cells[-1]
    raise KeyError(photo)


# -- figures --------------------------------------------------------------------------------


def diagram(kind: str, seed: int) -> Image.Image:
    """A diagram with no words: boxes and arrows, a map, a gauge..., drawn as a bitmap."""
    rng = random.Random(seed)
    image = Image.new("RGB", (900, 560), "white")
    draw = ImageDraw.Draw(image)
    ink = (30, 30, 30)
    if kind in ("wiring", "flow", "topology", "org", "routing"):
        boxes = [(80 + 260 * (n % 3), 80 + 240 * (n // 3)) for n in range(rng.randint(4, 6))]
        for x, y in boxes:
            draw.rectangle((x, y, x + 180, y + 110), outline=ink, width=5)
        for (x0, y0), (x1, y1) in itertools.pairwise(boxes):
            draw.line((x0 + 180, y0 + 55, x1, y1 + 55), fill=ink, width=4)
            draw.ellipse((x1 - 10, y1 + 45, x1 + 10, y1 + 65), fill=ink)
    elif kind in ("map", "plan", "heat"):
        for _ in range(7):
            x, y = rng.randint(40, 700), rng.randint(40, 400)
            colour = (rng.randint(80, 230), rng.randint(120, 230), rng.randint(60, 200))
            draw.rectangle((x, y, x + rng.randint(90, 200), y + rng.randint(60, 140)), colour)
        draw.line([(rng.randint(0, 900), rng.randint(0, 560)) for _ in range(6)], ink, 6)
    else:  # a part drawn as circles and arcs: a gauge, burrs, a bracket, an exploded view
        for n in range(6):
            r = 60 + 30 * n
            draw.arc((450 - r, 280 - r, 450 + r, 280 + r), rng.randint(0, 90), 300, ink, 6)
        for n in range(8):
            draw.line((450, 280, 450 + 240 - 60 * n, 60 + 40 * n), fill=ink, width=4)
    return image


def vector_figure(pdf: FPDF, kind: str, seed: int) -> None:
    """A chart drawn as paths: bars, a curve or steps, with its axes."""
    rng = random.Random(seed)
    x0, y0 = pdf.get_x() + 10, pdf.get_y() + 4
    width, height = 150, 70
    pdf.set_line_width(0.6)
    pdf.line(x0, y0 + height, x0 + width, y0 + height)
    pdf.line(x0, y0, x0, y0 + height)
    values = [rng.uniform(0.2, 1.0) for _ in range(12)]
    if kind == "bars":
        pdf.set_fill_color(70, 110, 180)
        for n, v in enumerate(values):
            pdf.rect(x0 + 4 + n * 12, y0 + height * (1 - v), 8, height * v, style="F")
    else:
        points = [(x0 + n * 12.5, y0 + height * (1 - v)) for n, v in enumerate(values)]
        for (ax, ay), (bx, by) in itertools.pairwise(points):
            if kind == "steps":
                pdf.line(ax, ay, bx, ay)
                pdf.line(bx, ay, bx, by)
            else:
                pdf.line(ax, ay, bx, by)
    pdf.set_y(y0 + height + 6)


def build_report(name: str, title: str, figures: list, tmp: Path) -> list[dict]:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    questions = []
    for number, (kind, caption, sentence, question) in enumerate(figures, start=1):
        pdf.add_page()
        if number == 1:
            pdf.set_font("helvetica", "B", 15)
            pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, f"{FILLER} {sentence}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        seed = int(hashlib.sha256(f"{name}{number}".encode()).hexdigest()[:8], 16)
        if kind in ("bars", "line", "steps"):
            vector_figure(pdf, kind, seed)
        else:
            picture = tmp / f"{name}-{number}.png"
            diagram(kind, seed).save(picture)
            pdf.image(str(picture), w=140)
        if caption:
            pdf.set_font("helvetica", "I", 10)
            pdf.multi_cell(0, 6, caption, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=11)
        pdf.ln(4)
        pdf.multi_cell(0, 6, FILLER, new_x="LMARGIN", new_y="NEXT")
        qid = f"figure-{name}-{number}"
        questions.append({
            "id": qid, "kind": "figure", "split": split_of(qid), "question": question,
            "document": f"{name}.pdf", "page": number, "captioned": caption is not None,
            "vector": kind in ("bars", "line", "steps"),
        })  # fmt: skip
    pdf.output(str(DOCS / f"{name}.pdf"))
    return questions


# -- photos ---------------------------------------------------------------------------------


def product_shot(photo: Path) -> Image.Image:
    """Another framing of the photo: its middle three-fifths, smaller, re-encoded."""
    with Image.open(photo) as image:
        w, h = image.size
        crop = image.convert("RGB").crop((w // 5, h // 5, w - w // 5, h - h // 5))
    crop.thumbnail((420, 420))
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=70)
    return Image.open(io.BytesIO(buffer.getvalue()))


def build_subject(n: int, photo: str, name: str, title: str, text: str, tmp: Path) -> dict:
    pictured = n % 2 == 0
    if pictured:
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", "B", 14)
        pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        shot = tmp / f"{name}.jpg"
        product_shot(PHOTOS / f"{photo}.jpg").save(shot)
        pdf.image(str(shot), w=90)
        pdf.output(str(DOCS / f"{name}.pdf"))
        document = f"{name}.pdf"
    else:
        document = f"{name}.md"
        (DOCS / document).write_text(f"# {title}\n\n{text}\n")
    return {
        "id": f"photo-{photo}", "kind": "photo", "split": photo_split(photo),
        "question": PHOTO_QUESTIONS[n % len(PHOTO_QUESTIONS)], "image": f"{photo}.jpg",
        "document": document, "pictured": pictured,
    }  # fmt: skip


def main() -> None:
    import tempfile

    DOCS.mkdir(exist_ok=True)
    for old in DOCS.iterdir():
        old.unlink()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, title, figures in REPORTS:
            rows += build_report(name, title, figures, Path(tmp))
        for n, subject in enumerate(SUBJECTS):
            rows.append(build_subject(n, *subject, Path(tmp)))
    for split in ("dev", "test"):
        chosen = [r for r in rows if r["split"] == split]
        with (HERE / f"{split}.jsonl").open("w") as out:
            out.writelines(json.dumps(r) + "\n" for r in chosen)
        kinds = {k: sum(r["kind"] == k for r in chosen) for k in ("figure", "photo")}
        print(split, kinds)


if __name__ == "__main__":
    main()
