"""CLEVR-style scenes: counts, colours, positions, captions and questions that need the scene's
inventory note, answered in one run by the composed default and three fusion VLMs trained here
on CPU — without knowledge, with the note concatenated as text, and with the note's passages
through the attention knowledge fusion (each visual token attends to the passages).

    .venv/bin/python bench/fusion_scenes.py [--scenes 3000] [--test-scenes 200] [--steps 1000]
        [--variant-steps 500] [--variants none text fusion] [--composed 100] [--reuse]

Scenes come from `python -m eval.scenes` (new ones each seed; the test split has
its own seed stream). The test split reported is drawn with ``--test-seed`` (1): seed 0's test
split is the dev split that ``bench/scenes_ab.py``'s A/Bs tune on. Stage 1 trains on the
pictures alone (no knowledge; LoRA on SmolLM2-135M, the words projector aligned on the
captions, then frozen; batches of 8); each variant is then stage 2 from stage 1's weights, the
same steps and batch each, with its own way of getting the note. Prints, as JSON: accuracy per
question kind, caption BLEU-4/ROUGE-L/CIDEr, training seconds and samples/s, per stage and
variant; the composed default on a sample of test questions (for knowledge questions it gets
the note in the question, as text); the peak RSS. ``--reuse`` evaluates finished runs as they
are (with the figures their training recorded).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.scenes import (  # noqa: E402
    COLOURS,
    NUMBERS,
    OWNERS,
    SHAPES,
    generate,
    kinds,
)
from tools.fusion_vlm.checkpoint import load_trained  # noqa: E402
from tools.fusion_vlm.data import Example, read_scenes  # noqa: E402
from tools.fusion_vlm.evaluate import predict  # noqa: E402
from tools.fusion_vlm.metrics import caption_scores, closed_set_right  # noqa: E402
from tools.fusion_vlm.train import TrainConfig, train_again  # noqa: E402

GROUPS = [tuple(COLOURS), SHAPES, NUMBERS, tuple(o.lower() for o in OWNERS)]
VARIANTS = {"no knowledge": "none", "note as text": "text", "attention fusion": "fusion"}


def scores(said: list[str], items: list[Example], what: list[str]) -> dict[str, float]:
    right: dict[str, list[bool]] = defaultdict(list)
    for s, item, kind in zip(said, items, what, strict=True):
        if kind != "caption":
            right[kind].append(closed_set_right(s, item.answer.lower(), GROUPS))
    out = {k: round(sum(v) / len(v), 3) for k, v in sorted(right.items())}
    captions = [i for i, k in enumerate(what) if k == "caption"]
    if captions:
        metric = caption_scores([[items[i].answer] for i in captions], [said[i] for i in captions])
        out |= {k: round(metric[k], 3) for k in ("BLEU-4", "ROUGE-L", "CIDEr")}
    return out


def stage_config(
    knowledge: str, data: Path, out: Path, steps: int, **changes: object
) -> TrainConfig:
    model_overrides = {
        # The pyramid tower keeps colour, which the last feature map keeps poorly.
        "vision": "efficientnet-lite0-pyramid",
        # Soft words, aligned on the captions first (left to right: "a large red square,
        # a small blue circle and ...") and then kept frozen: the LM reads the picture as
        # text. The MLP projector's 16 free tokens, trained through the LM, bound no colour
        # to its shape (colour 0.19, count 0.51 after 1,000 steps; diagnosis in
        # docs/measured/fusion_scenes_diagnosis.json).
        "projector": "words",
        # One query per caption token: captions name each object's size, colour, shape and
        # height ("a large blue square in the middle and ..."), up to 31 tokens.
        "visual_tokens": 32,
        "freeze_projector": True,
        # LoRA lets the LM learn to read a prefix and copy from a note, which a frozen 135M
        # LM barely does.
        "lora_rank": 8,
        # The passages' embeddings are attended to by each visual token: one fused token
        # (the gated mean) cannot say which sentence is about which object.
        "fusion": "cross" if knowledge == "fusion" else "gated",
        # Served as trained: a model that read the note as text gets passages as text.
        "passages": "text" if knowledge == "text" else "fusion",
    }
    config = TrainConfig(
        data={"format": "scenes", "path": str(data), "knowledge": knowledge},
        output_dir=str(out),
        model="efficientnet-smollm2-135m",
        model_overrides=model_overrides,
        epochs=100,
        max_steps=steps,
        # Batches of 8: on 2 cores a sample costs about the same in a batch of 8 as of 32
        # (5.1 against 5.9 samples/s), and four times the updates learn to read the prefix.
        batch_size=8,
        learning_rate=1e-3,
        lr_schedule="cosine",
        warmup_steps=30,
        # The words projector learns the captions alone first (1,500 steps of 64: 6 minutes on
        # 2 cores; 0.98 of held-out caption tokens right on the dev split).
        align_steps=1500,
        mixed_precision="bf16",
        checkpoint_every=100,
        max_tokens=96,
    )
    return replace(config, **changes)  # type: ignore[arg-type]


def trained(config: TrainConfig, reuse: bool) -> dict[str, object]:
    """Train (or, with ``reuse``, take a finished run as it is) and its training figures, kept
    beside the run so that a reused run still reports what its training cost."""
    timing = Path(config.output_dir) / "timing.json"
    if reuse and (Path(config.output_dir) / "model").is_dir() and timing.is_file():
        return json.loads(timing.read_text()) | {"reused": True}
    figures = train_again(config)
    timing.write_text(json.dumps(figures))
    return figures


def tested(run: Path, test: Path, knowledge: str, models_dir: str) -> dict[str, float]:
    model, encoder = load_trained(run / "model", Path(models_dir))
    items = list(read_scenes(test, knowledge))
    said = predict(model, encoder, items, batch_size=64, max_new_tokens=40)
    return scores(said, items, kinds(test))


def composed(test: Path, sample: list[int]) -> dict[str, float]:
    import os

    os.environ["VIRA_DATA_DIR"] = tempfile.mkdtemp(prefix="vira-scenes-")
    from assistant import Assistant, Settings

    assistant = Assistant(Settings())
    items, what = list(read_scenes(test, "text")), kinds(test)
    said = [assistant.session(f"q{n}").ask_text(items[i].question, [items[i].image]).text
            for n, i in enumerate(sample)]  # fmt: skip
    return scores(said, [items[i] for i in sample], [what[i] for i in sample])


def arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--scenes", type=int, default=3000)
    parser.add_argument("--test-scenes", type=int, default=200)
    parser.add_argument("--test-seed", type=int, default=1, help="0 is the A/Bs' dev split")
    parser.add_argument("--steps", type=int, default=1000, help="stage 1 (pictures)")
    parser.add_argument("--variant-steps", type=int, default=500, help="stage 2, each variant")
    parser.add_argument("--composed", type=int, default=100)
    names = list(VARIANTS.values())
    parser.add_argument("--variants", nargs="+", default=names, choices=names,
                        help="which fusion VLMs to train")  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "scenes")
    parser.add_argument("--reuse", action="store_true", help="evaluate runs already trained")
    return parser


def run(args: argparse.Namespace) -> dict[str, object]:
    data = generate(args.out, "train", args.scenes, seed=0)
    test = generate(args.out, "test", args.test_scenes, seed=args.test_seed)
    report: dict[str, object] = {
        "train_questions": len(kinds(data)),
        "test_questions": len(kinds(test)),
        "test_seed": args.test_seed,
        "steps": {"pictures": args.steps, "each variant": args.variant_steps},
    }
    # Stage 1, shared: the pictures alone (what each variant then starts from).
    first = stage_config("none", data, args.out / "pictures", args.steps)
    report["stage 1: pictures, no knowledge"] = trained(first, args.reuse) | tested(
        args.out / "pictures", test, "none", first.models_dir
    )
    print(json.dumps({"stage 1": report["stage 1: pictures, no knowledge"]}), file=sys.stderr)
    for name, knowledge in VARIANTS.items():
        if knowledge not in args.variants:
            continue
        # From stage 1's weights, its projector already aligned.
        config = stage_config(knowledge, data, args.out / knowledge, args.variant_steps,
                              init_from=str(args.out / "pictures"), align_steps=0,
                              learning_rate=5e-4, warmup_steps=20, seed=1)  # fmt: skip
        report[name] = trained(config, args.reuse) | tested(
            Path(config.output_dir), test, knowledge, config.models_dir
        )
        print(json.dumps({name: report[name]}), file=sys.stderr, flush=True)
    sample = random.Random(0).sample(range(len(kinds(test))), min(args.composed, len(kinds(test))))
    if sample:
        report["composed default (sample)"] = composed(test, sample)
        report["composed_sample_questions"] = len(sample)
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return report


def main() -> int:
    args = arguments(argparse.ArgumentParser(description=__doc__)).parse_args()
    print(json.dumps(run(args), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
