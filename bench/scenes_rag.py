"""Retrieval-augmented scenes: the picture chooses the passage.

Every scene's inventory note (train, dev and test: 3,500 notes that look alike, the same
shapes and colours with different owners) goes into a real Vira knowledge base. Each owner
question ("Whose is the object furthest to the left?") gets the top-5 notes that
``KnowledgeBase.search`` returns for the question and the picture's caption: the gold caption
in training, the stage-1 model's own caption on the dev and test splits. Only the picture can
tell which of the five is the scene's note.

From one stage-1 run (pictures alone, as ``bench/fusion_scenes.py``), the same steps each:

- no knowledge;
- the top-5 notes concatenated as text before the question (RA-VQA style);
- the gold note as text (the upper bound);
- the passage selector: alpha = softmax(FFN([v; l; k])) over the five, trained against the
  scene's own note, and the chosen note's words before the question.

Also scored on the same test questions: the question-only prior (the training split's most
frequent answer per question template) and the selector with each picture swapped for
another scene's. Reports accuracy per kind, retrieval recall@5, the selector's choice accuracy,
the LM's input tokens per owner question and samples per second.

    .venv/bin/python bench/scenes_rag.py [--out runs/rag] [--split test|dev] [--reuse]

``--split dev`` (200 scenes of their own) is for choosing settings; ``test`` (300 scenes drawn
with seed 1) is reported.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from fusion_scenes import scores, stage_config, trained  # noqa: E402

from eval.scenes import generate, kinds  # noqa: E402
from knowledge_base import KnowledgeBase, KnowledgeSettings  # noqa: E402
from tools.fusion_vlm.checkpoint import load_trained  # noqa: E402
from tools.fusion_vlm.data import CAPTION_PROMPT, Example, read_scenes  # noqa: E402
from tools.fusion_vlm.evaluate import chosen_by, predict  # noqa: E402

K = 5
#: name -> (reader's knowledge mode, which questions file)
VARIANTS = {
    "no knowledge": ("none", "plain"),
    "top-5 as text": ("text", "retrieved"),
    "gold note as text": ("text", "plain"),
    "passage selector": ("select", "retrieved"),
}


def ledgers(out: Path, splits: list[str], per_file: int = 100) -> list[Path]:
    """The splits' notes as inventory ledgers, one section a scene and 100 scenes a file (the
    knowledge base keeps one document per file name, and every split numbers from 00000)."""
    folder = out / "ledgers"
    folder.mkdir(exist_ok=True)
    written = []
    for split in splits:
        notes = sorted((out / f"{split}-notes").glob("*.md"))
        for start in range(0, len(notes), per_file):
            target = folder / f"{split}-{start // per_file:03d}.md"
            target.write_text("\n".join(n.read_text() for n in notes[start : start + per_file]))
            written.append(target)
    return written


def knowledge_base(out: Path, splits: list[str]) -> KnowledgeBase:
    kb = KnowledgeBase(KnowledgeSettings(data_dir=out / "knowledge", chroma_url=None))
    if not kb.list():
        report = kb.ingest(ledgers(out, splits))
        assert report.ok, [f.line() for f in report.errors]
    return kb


def captions_said(run: Path, questions: Path, models_dir: str) -> dict[str, str]:
    """The stage-1 model's caption of each picture of a split."""
    model, encoder = load_trained(run / "model", Path(models_dir))
    images = sorted({json.loads(line)["image"] for line in questions.read_text().splitlines()})
    asked = [Example(questions.parent / i, CAPTION_PROMPT, "") for i in images]
    return dict(zip(images, predict(model, encoder, asked, 64, 40), strict=True))


def retrieved(kb: KnowledgeBase, questions: Path, captions: dict[str, str]) -> Path:
    """``questions`` with each owner question's passages replaced by the top-k notes for the
    question and the caption, and ``gold``: where the scene's own note is among them (-1)."""
    lines, found = [], []
    for line in questions.read_text().splitlines():
        q = json.loads(line)
        if q["kind"] == "knowledge":
            hits = kb.search(f"{q['question']} {captions[q['image']]}", k=K)
            image = Path(q["image"])  # "test/00012.png": its note is "scene test 00012"
            own = f"Inventory of scene {image.parent.name} {image.stem}"
            q["passages"] = [h.text for h in hits]
            q["gold"] = next((i for i, h in enumerate(hits) if h.heading == own), -1)
            found.append(q["gold"] >= 0)
        lines.append(json.dumps(q))
    target = questions.with_name(questions.stem + "-retrieved.jsonl")
    target.write_text("\n".join(lines) + "\n")
    print(f"{target.name}: recall@{K} {sum(found) / len(found):.3f}", file=sys.stderr)
    return target


def recall(path: Path) -> float:
    gold = [json.loads(line).get("gold", -1) for line in path.read_text().splitlines()
            if json.loads(line)["kind"] == "knowledge"]  # fmt: skip
    return round(sum(g >= 0 for g in gold) / len(gold), 3)


def template(question: str, answers: set[str]) -> str:
    words = re.findall(r"[\w']+", question.lower())
    return " ".join("_" if w in answers else w for w in words)


def prior(train: Path, test: Path) -> dict[str, float]:
    """The question-only baseline: the most frequent training answer per question template."""
    rows = [json.loads(line) for line in train.read_text().splitlines()]
    answers = {r["answer"].lower() for r in rows}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        counts[template(r["question"], answers)][r["answer"]] += 1
    items = list(read_scenes(test, "none"))
    said = [counts[template(i.question, answers)].most_common(1)[0][0]
            if counts[template(i.question, answers)] else "" for i in items]  # fmt: skip
    return {k: v for k, v in scores(said, items, kinds(test)).items() if k.islower()}


def owner_items(path: Path, knowledge: str) -> list[Example]:
    return [e for e, k in zip(read_scenes(path, knowledge), kinds(path), strict=True)
            if k == "knowledge"]  # fmt: skip


def tested(run: Path, test: Path, knowledge: str, models_dir: str) -> dict[str, object]:
    model, encoder = load_trained(run / "model", Path(models_dir))
    items, what = list(read_scenes(test, knowledge)), kinds(test)
    start = time.perf_counter()
    said = predict(model, encoder, items, batch_size=64, max_new_tokens=40)
    report: dict[str, object] = scores(said, items, what)
    report["answer_samples_per_s"] = round(len(items) / (time.perf_counter() - start), 1)
    owners = owner_items(test, knowledge)
    if knowledge == "select":
        asked = chosen_by(model, encoder, owners)
        right = [a.chosen == o.chosen for a, o in zip(asked, owners, strict=True) if o.chosen >= 0]
        report["selector picks the scene's note (where retrieved)"] = round(
            sum(right) / len(right), 3
        )
        report |= shuffled(model, encoder, owners)
    else:
        asked = owners
    report["LM input tokens per owner question"] = round(
        sum(len(encoder.tokens(a, False)[0]) for a in asked) / len(asked)
        + model.config.visual_tokens
        + 1,
        1,
    )
    return report


def shuffled(model: object, encoder: object, owners: list[Example]) -> dict[str, float]:
    """Owner accuracy with each question's picture swapped for another scene's."""
    images = [o.image for o in owners]
    rolled = [replace(o, image=images[(i + 1) % len(images)]) for i, o in enumerate(owners)]
    said = predict(model, encoder, rolled, batch_size=64, max_new_tokens=8)
    right = [s.lower().startswith(o.answer.lower()) for s, o in zip(said, owners, strict=True)]
    return {"knowledge, shuffled pictures": round(sum(right) / len(right), 3)}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "rag")
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    parser.add_argument("--scenes", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=1000, help="stage 1 (pictures)")
    parser.add_argument("--variant-steps", type=int, default=600)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--reuse", action="store_true", help="evaluate runs already trained")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    out = args.out
    data = generate(out, "train", args.scenes, seed=0)
    dev = generate(out, "dev", 200, seed=0)
    test = generate(out, "test", 300, seed=1)
    asked = dev if args.split == "dev" else test
    kb = knowledge_base(out, ["train", "dev", "test"])
    first = stage_config("none", data, out / "pictures", args.steps)
    report: dict[str, object] = {
        "split": args.split,
        "train_questions": len(kinds(data)),
        "test_questions": len(kinds(asked)),
        "notes in the knowledge base": sum(d.chunks for d in kb.list()),
        "steps": {"pictures": args.steps, "each variant": args.variant_steps},
        "question only (majority answer per template)": prior(data, asked),
        "stage 1: pictures, no knowledge": trained(first, reuse=True),
    }
    gold_captions = {json.loads(line)["image"]: json.loads(line)["answer"]
                     for line in data.read_text().splitlines()
                     if json.loads(line)["kind"] == "caption"}  # fmt: skip
    files = {"plain": (data, asked),
             "retrieved": (retrieved(kb, data, gold_captions),
                           retrieved(kb, asked, captions_said(out / "pictures", asked,
                                                              first.models_dir)))}  # fmt: skip
    report["recall@5"] = {"train": recall(files["retrieved"][0]),
                          args.split: recall(files["retrieved"][1])}  # fmt: skip
    for name, (knowledge, which) in VARIANTS.items():
        if name not in args.variants:
            continue
        train_file, test_file = files[which]
        slug = name.replace(" ", "-")
        config = stage_config(knowledge, train_file, out / slug, args.variant_steps,
                              init_from=str(out / "pictures"), align_steps=0,
                              learning_rate=5e-4, warmup_steps=20, seed=1,
                              max_tokens=400)  # fmt: skip
        if knowledge == "select":
            config = replace(config, model_overrides=config.model_overrides
                             | {"passages": "select", "fusion": "gated"})  # fmt: skip
        report[name] = trained(config, args.reuse) | tested(
            Path(config.output_dir), test_file, knowledge, config.models_dir
        )
        print(json.dumps({name: report[name]}), file=sys.stderr, flush=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
