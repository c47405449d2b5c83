"""Ingestion time of a 100-page PDF with 30 captioned figures, half of them drawn as vector
charts: run it in two trees (alternately) to see what the figure work costs.

    .venv/bin/python bench/figure_ingest.py [--runs 2]

Prints the seconds of ``KnowledgeBase.ingest`` (models loaded and Chroma opened beforehand)
and the picture items found; the goal is at most twice the time of the tree before figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from corpus import module_texts  # noqa: E402

from knowledge_base import KnowledgeBase, KnowledgeSettings  # noqa: E402

PAGES, FIGURES = 100, 30


def diagram(path: Path, n: int) -> Path:
    image = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(image)
    for k in range(3 + n % 3):
        x = 30 + k * 140
        draw.rectangle((x, 110, x + 100, 190), outline="black", width=4)
        draw.line((x + 100, 150, x + 140, 150), fill="black", width=4)
    image.save(path)
    return path


def manual(path: Path, work: Path, pages: int = PAGES, figures: int = FIGURES) -> Path:
    from fpdf import FPDF

    docs = [" ".join(t.split()) for t in module_texts().values()]
    texts = [d[i : i + 900] for d in docs for i in range(0, len(d), 900)][:pages]
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    every = pages // figures
    for page, text in enumerate(texts):
        pdf.add_page()
        pdf.multi_cell(
            0,
            5,
            text.encode("latin-1", "replace").decode("latin-1")[:900],
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if page % every or page // every >= figures:
            continue
        n = page // every
        if n % 2:  # a vector bar chart
            base = pdf.get_y() + 60
            for k in range(8):
                pdf.set_fill_color(40, 90, 200)
                height = 10 + (k * 7 + n) % 45
                pdf.rect(25 + k * 15, base - height, 10, height, style="F")
            pdf.set_y(base + 4)
        else:
            pdf.image(str(diagram(work / f"d{n}.png", n)), x=30, w=120)
        pdf.multi_cell(
            0,
            5,
            f"Figure {n + 1}: Test figure number {n + 1} of the manual.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.output(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pages", type=int, default=PAGES)
    parser.add_argument("--figures", type=int, default=FIGURES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pdf = manual(work / "manual.pdf", work, args.pages, args.figures)
        times, pictures = [], 0
        for run in range(args.runs):
            kb = KnowledgeBase(KnowledgeSettings(data_dir=work / f"kb{run}", chroma_url=None))
            kb.list()
            kb.embedding.encode(["warm up"])
            start = time.perf_counter()
            report = kb.ingest([pdf])
            times.append(time.perf_counter() - start)
            pictures = report.files[0].images
    result = {"pages": args.pages, "figures": args.figures, "pictures_found": pictures,
              "ingest_s": times, "ingest_median_s": statistics.median(times)}  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
