"""easy-VQA with Vira's fusion VLM, trained here on CPU, against the composed default — in one
run on one machine.

    .venv/bin/python bench/fusion_easyvqa.py [--config A.json B.json] [--composed 150] [--reuse]

Trains, in order, the configs given (default: stage 1, `tools/fusion_vlm/configs/easyvqa.json`:
the packaged EfficientNet-Lite0's feature maps, a projector and the gated fusion, the packaged
SmolLM2-135M frozen; stage 2, `easyvqa-stage2.json`: LoRA on the LM from stage 1's weights;
then `easyvqa-balanced.json` and `easyvqa-anneal.json`: LoRA on answer-balanced questions,
the last with a cosine decay) on easy-VQA's train split without its validation slice. After
each stage it answers the validation slice (the number to tune on) and the whole test split
(reported, never tuned on), per question kind; the composed default (classifier labels, OCR
and colours read by the packaged 1.5B LLM) answers a seeded sample of the test questions.
Prints accuracies, training throughput (samples/s) and peak RSS as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.fusion_vlm.checkpoint import load_trained  # noqa: E402
from tools.fusion_vlm.data import Example, read_examples  # noqa: E402
from tools.fusion_vlm.evaluate import predict  # noqa: E402
from tools.fusion_vlm.metrics import closed_set_right  # noqa: E402
from tools.fusion_vlm.train import TrainConfig, train_again  # noqa: E402

CONFIGS = [ROOT / "tools" / "fusion_vlm" / "configs" / f"easyvqa{s}.json"
           for s in ("", "-stage2", "-balanced", "-anneal")]  # fmt: skip
SHAPES = ("circle", "rectangle", "triangle")
#: easy-VQA's rectangles are squares: an answer that says "square" names the right shape.
SAME = {"square": "rectangle", "squares": "rectangle", "rectangles": "rectangle",
        "circles": "circle", "triangles": "triangle"}  # fmt: skip


def accuracy(said: list[str], items: list[Example], choices: list[str]) -> float:
    groups = [SHAPES, tuple(c for c in choices if c not in (*SHAPES, "yes", "no"))]
    pairs = zip(said, items, strict=True)
    right = sum(closed_set_right(s, e.answer, groups, SAME) for s, e in pairs)
    return round(right / max(1, len(items)), 4)


def kind(item: Example) -> str:
    """easy-VQA's question kinds, told by the gold answer: shape, colour or yes/no."""
    if item.answer in ("yes", "no"):
        return "yes/no"
    return "shape" if item.answer in SHAPES else "colour"


def by_kind(said: list[str], items: list[Example], choices: list[str]) -> dict[str, float]:
    kinds: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        kinds.setdefault(kind(item), []).append(i)
    return {k: accuracy([said[i] for i in rows], [items[i] for i in rows], choices)
            for k, rows in sorted(kinds.items())}  # fmt: skip


def composed_answers(items: list[Example]) -> tuple[list[str], float]:
    """The offline default's answers (a fresh session per question, an empty knowledge base)."""
    import os

    os.environ["VIRA_DATA_DIR"] = tempfile.mkdtemp(prefix="vira-easyvqa-")
    from assistant import Assistant, Settings

    assistant = Assistant(Settings())
    said, start = [], time.perf_counter()
    for n, item in enumerate(items):
        said.append(assistant.session(f"q{n}").ask_text(item.question, [item.image]).text)
    return said, (time.perf_counter() - start) / max(1, len(items))


def arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--config", type=Path, nargs="+", default=CONFIGS,
                        help="training configs, trained in order (a stage 2 starts from the "
                        "run its init_from names)")  # fmt: skip
    parser.add_argument("--steps", type=int, default=None, help="training steps (config's)")
    parser.add_argument("--composed", type=int, default=150, help="test questions for composed")
    parser.add_argument("--test", type=int, default=0, help="test questions (0: all)")
    parser.add_argument("--reuse", action="store_true", help="evaluate the runs already trained")
    return parser


def splits(test_questions: int) -> tuple[list[Example], list[Example]]:
    validation = read_examples({"format": "easy_vqa", "split": "validation"})
    test = read_examples({"format": "easy_vqa", "split": "test"})
    random.Random(0).shuffle(validation)
    if test_questions:
        test = random.Random(1).sample(test, test_questions)
    return validation[:1000], test


def stage(path: Path, args: argparse.Namespace, data: tuple[list[Example], ...],
          choices: list[str]) -> tuple[dict[str, object], list[str]]:  # fmt: skip
    """Train one config (unless reused), then answer validation and test: (report, test said)."""
    config = TrainConfig.read(path)
    config.max_steps = args.steps or config.max_steps
    run = Path(config.output_dir)
    report: dict[str, object] = {
        "config": path.name,
        "lora_rank": config.model_overrides.get("lora_rank", 0),
        "steps": config.max_steps,
        "batch_size": config.batch_size,
    }
    if not (args.reuse and (run / "model").is_dir()):
        report |= train_again(config)
    model, encoder = load_trained(run / "model", Path(config.models_dir))
    validation, test = data
    start = time.perf_counter()
    said = predict(model, encoder, validation, batch_size=64, max_new_tokens=4)
    report["validation_accuracy"] = accuracy(said, validation, choices)
    report["validation_by_kind"] = by_kind(said, validation, choices)
    said = predict(model, encoder, test, batch_size=64, max_new_tokens=4)
    report["test_accuracy"] = accuracy(said, test, choices)
    report["test_by_kind"] = by_kind(said, test, choices)
    report["answer_seconds_per_question"] = round(
        (time.perf_counter() - start) / (len(validation) + len(test)), 4
    )
    return report, said


def question_only(test: list[Example], choices: list[str]) -> dict[str, object]:
    """The prior a model can learn without looking: the most frequent training answer to each
    question text, whatever the picture."""
    answers: dict[str, Counter[str]] = defaultdict(Counter)
    for item in read_examples({"format": "easy_vqa", "split": "train"}):
        answers[item.question][item.answer] += 1
    said = [answers[i.question].most_common(1)[0][0] if answers[i.question] else "" for i in test]
    return {
        "test_accuracy": accuracy(said, test, choices),
        "test_by_kind": by_kind(said, test, choices),
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    import easy_vqa

    choices = easy_vqa.get_answers()
    validation, test = splits(args.test)
    sample = random.Random(2).sample(range(len(test)), min(args.composed, len(test)))
    items = [test[i] for i in sample]
    report: dict[str, object] = {"test_questions": len(test), "sample_questions": len(items),
                                 "question only": question_only(test, choices)}  # fmt: skip
    for n, path in enumerate(args.config, 1):
        found, said = stage(path, args, (validation, test), choices)
        if sample:
            found["fusion_on_composed_sample"] = accuracy([said[i] for i in sample], items, choices)
        report[f"stage {n}"] = found
        print(json.dumps({f"stage {n}": found}), file=sys.stderr, flush=True)
    if args.composed:
        answers, per_question = composed_answers(items)
        report["composed_on_sample"] = accuracy(answers, items, choices)
        report["composed_on_sample_by_kind"] = by_kind(answers, items, choices)
        report["composed_seconds_per_question"] = round(per_question, 2)
        shown = zip(items[:5], answers[:5], strict=True)
        report["composed_examples"] = [{"q": i.question, "gold": i.answer, "said": a}
                                       for i, a in shown]  # fmt: skip
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return report


def main() -> int:
    args = arguments(argparse.ArgumentParser(description=__doc__)).parse_args()
    print(json.dumps(run(args), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
