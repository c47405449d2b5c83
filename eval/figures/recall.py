"""Retrieval recall@3 of the figure-and-photo set, beside text-only retrieval.

- A figure question is found when its figure (a picture item of its document's page) is
  among the three pictures the chat's figure search returns. Text-only: when a passage of
  the figure's page is among the three passages found (what retrieval without picture items
  could offer: the page, not the figure).
- A photo is found when its document is among the three results of the search with a picture
  (the Knowledge tab's and the chat's: the photo's printed words and sure labels, then the
  documents' pictures that look like it). Text-only: the same words searched in passages
  alone, without picture likeness.

    .venv/bin/python -m eval.figures.recall eval/figures/test.jsonl [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
K = 3


def measure(rows: list[dict], data_dir: Path) -> list[dict]:
    from assistant import Assistant, Settings
    from assistant.pictures import picture_query

    assistant = Assistant(Settings(data_dir=data_dir))
    report = assistant.knowledge.ingest(sorted((HERE / "docs").iterdir()))
    assert report.ok, report.errors
    user = assistant.access.user("eval")
    kb = assistant.knowledge
    results = []
    for row in rows:
        if row["kind"] == "figure":

            def on_page(hits: list, row: dict = row) -> bool:
                return any((h.source, h.page) == (row["document"], row["page"]) for h in hits)

            found = on_page(kb.search(row["question"], k=K, kind="image"))
            text_only = on_page(kb.search(row["question"], k=K, kind="text"))
        else:
            photo = HERE.parent / "photos" / "images" / row["image"]
            hits = assistant.search_with_picture(user, photo, k=K)
            found = any(h.source == row["document"] for h in hits)
            query = picture_query(assistant.encoder.encode(photo), guesses=True)
            words = kb.search(query, k=K, kind="text") if query else []
            text_only = any(h.source == row["document"] for h in words)
        results.append({**row, "found": found, "text_only": text_only})
    return results


def summary(results: list[dict]) -> dict:
    def rate(rows: list[dict], key: str) -> float | None:
        return round(sum(r[key] for r in rows) / len(rows), 3) if rows else None

    groups = {
        "figures": [r for r in results if r["kind"] == "figure"],
        "figures, captioned": [r for r in results if r.get("captioned")],
        "figures, no caption": [r for r in results if r.get("captioned") is False],
        "figures, vector": [r for r in results if r.get("vector")],
        "photos": [r for r in results if r["kind"] == "photo"],
        "photos, pictured in the document": [r for r in results if r.get("pictured")],
        "photos, text-only documents": [r for r in results if r.get("pictured") is False],
        "all": results,
    }
    return {
        name: {"n": len(rows), "recall@3": rate(rows, "found"),
               "text-only": rate(rows, "text_only")}
        for name, rows in groups.items()
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(rows, Path(tmp))
    table = summary(results)
    for name, row in table.items():
        print(f"{name:36} n={row['n']:3}  recall@3 {row['recall@3']}  text-only {row['text-only']}")
    for r in results:
        if not r["found"]:
            print("missed:", r["id"], "-", r["question"])
    if args.out:
        args.out.write_text(json.dumps({"summary": table, "results": results}, indent=1))


if __name__ == "__main__":
    main()
