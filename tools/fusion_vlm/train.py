"""Train the fusion VLM: ``python -m tools.fusion_vlm.train CONFIG.json``, or the same under
``accelerate launch`` (several GPUs, mixed precision). Gradient accumulation, checkpoints
every N steps with resume, a progress bar and a JSONL metrics log.

CONFIG.json::

    {"model": "efficientnet-smollm2-135m",      # a name in CONFIGS, or
     "model_overrides": {"fusion": "cross"},     # ... changed fields
     "data": {"format": "vira", "path": "eval/heldout/dev.jsonl"},
     "output_dir": "runs/stage1", "epochs": 3, "batch_size": 8, "learning_rate": 1e-3,
     "gradient_accumulation_steps": 2, "mixed_precision": "no", "checkpoint_every": 50}

Stage 1 (the default) trains the projector, the fusion module and the contrastive heads with
the language model frozen; stage 2 sets ``"model_overrides": {"lora_rank": 8}``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from tools.fusion_vlm.align import align, caption_targets
from tools.fusion_vlm.checkpoint import CONFIG, WEIGHTS, assemble, save_trained
from tools.fusion_vlm.config import CONFIGS, FusionVLMConfig
from tools.fusion_vlm.data import Encoder, Example, read_examples
from tools.fusion_vlm.domain import learnt_from
from tools.fusion_vlm.model import FusionVLM

SCHEDULES = ("constant", "cosine")


@dataclass
class TrainConfig:
    data: dict[str, Any]
    output_dir: str
    model: str = "efficientnet-smollm2-135m"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    epochs: int = 1
    batch_size: int = 8
    learning_rate: float = 1e-3
    gradient_accumulation_steps: int = 1
    mixed_precision: str = "no"  # no | fp16 | bf16
    checkpoint_every: int = 50
    max_tokens: int = 128
    max_steps: int | None = None  # stop early (a time budget on a CPU demo)
    #: ``{"passages": ["docs/", ...], "k": 3}``: documents ingested into a knowledge base of
    #: the run; each example without passages of its own gets the top-k for its question.
    knowledge: dict[str, Any] | None = None
    seed: int = 0
    models_dir: str = "data/models"
    #: A finished run (its ``model/``) whose trained weights start this one: stage 2 begins
    #: from stage 1's projector and fusion, as LLaVA's second stage does.
    init_from: str | None = None
    #: Repeat examples so that each question template's answers are equally frequent (see
    #: ``balanced``): a skewed template is otherwise learnt as its majority answer.
    balance_answers: bool = False
    #: ``constant`` or ``cosine`` (to zero at the last step): a decaying rate settles what a
    #: constant one keeps shaking; both after ``warmup_steps`` of linear warm-up.
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    #: Steps of visual-word alignment of the words projector (batches of 64 pictures), before
    #: the LM is in the loop (``align.py``); 0: none. Not repeated when a run resumes.
    align_steps: int = 0

    def __post_init__(self) -> None:
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule {self.lr_schedule!r}: one of {', '.join(SCHEDULES)}")
        if self.align_steps < 0:
            raise ValueError(f"align_steps {self.align_steps}: 0 (no alignment) or more")
        model = self.model_config()  # an unknown model or field is refused here, in one line
        if self.align_steps and model.projector != "words":
            raise ValueError('align_steps aligns the words projector: set "projector": "words"')

    @classmethod
    def read(cls, path: Path) -> TrainConfig:
        return cls(**json.loads(path.read_text()))

    def model_config(self) -> FusionVLMConfig:
        if self.model not in CONFIGS:
            raise ValueError(f"model {self.model!r}: one of {', '.join(CONFIGS)}")
        return CONFIGS[self.model].with_(**self.model_overrides)


def examples(config: TrainConfig) -> list[Example]:
    found = read_examples(config.data)
    random.Random(config.seed).shuffle(found)
    if config.balance_answers:
        found = balanced(found, random.Random(config.seed))
    return with_knowledge(found, config) if config.knowledge else found


def balanced(items: list[Example], rng: random.Random) -> list[Example]:
    """Each template's answers made equally frequent by repeating the rarer ones. A template
    is the question with every word that is some example's answer masked: "is there a blue
    shape?" and "is there a red shape?" are one template, whose answers are yes and no."""
    answers = {e.answer.lower() for e in items}
    groups: dict[str, dict[str, list[Example]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        words = re.findall(r"[\w']+", item.question.lower())
        template = " ".join("_" if w in answers else w for w in words)
        groups[template][item.answer.lower()].append(item)
    out: list[Example] = []
    for by_answer in groups.values():
        most = max(len(group) for group in by_answer.values())
        for group in by_answer.values():
            out += group + [rng.choice(group) for _ in range(most - len(group))]
    rng.shuffle(out)
    return out


def with_knowledge(items: list[Example], config: TrainConfig) -> list[Example]:
    """Passages retrieved for each example through Vira's own knowledge base (hybrid search
    over the documents the config names), as the assistant would retrieve them."""
    from knowledge_base import KnowledgeBase, KnowledgeSettings

    spec = config.knowledge or {}
    settings = KnowledgeSettings(data_dir=Path(config.output_dir) / "knowledge")
    kb = KnowledgeBase(settings)
    kb.ingest([Path(p) for p in spec.get("passages", [])])
    k = int(spec.get("k", 3))
    return [
        item if item.passages
        else replace(item, passages=tuple(h.text for h in kb.search(item.question, k=k)))
        for item in items
    ]  # fmt: skip


def learning_rate(config: TrainConfig, step: int, total: int) -> float:
    """The rate for step ``step`` (0-based) of ``total``; a function of the step alone, so a
    resumed run continues the same schedule."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    if config.lr_schedule == "constant":
        return config.learning_rate
    done = (step - config.warmup_steps) / max(1, total - config.warmup_steps)
    return config.learning_rate * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))


def build(config: TrainConfig) -> tuple[FusionVLM, Encoder]:
    return assemble(config.model_config(), Path(config.models_dir), config.max_tokens)


def train(config: TrainConfig) -> dict[str, float]:
    """Run training; returns the last logged metrics."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm

    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator(
        mixed_precision=config.mixed_precision,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        project_dir=str(out),
    )
    set_seed(config.seed)
    if accelerator.is_main_process:
        print(f"global batch: {config.batch_size}, processes: {accelerator.num_processes}",
              file=sys.stderr)  # fmt: skip
    model, encoder = build(config)
    if config.init_from:
        _start_from(model, Path(config.init_from))
    items = examples(config)
    if model.config.projector == "words" and not model.config.visual_words:
        # Chosen before aligning or resuming: a resumed run's weights assume the same words.
        model.use_visual_words(caption_targets(items, encoder, model.config.visual_tokens)[1])
    checkpoints = out / "checkpoints"
    if config.align_steps and not _complete_checkpoints(checkpoints):
        aligned = align(
            model, encoder, items, config.align_steps, learning_rate=config.learning_rate,
            seed=config.seed,
        )  # fmt: skip
        if accelerator.is_main_process:
            (out / "align.json").write_text(json.dumps(aligned))
    lighten(model, accelerator.device, config.mixed_precision)
    # batch_size is the global batch: each process takes its share of every batch (data
    # parallel). The encoder keeps each image's tower features: the tower runs once per image.
    share = slice(accelerator.process_index, None, accelerator.num_processes)
    starts = range(0, len(items), config.batch_size)
    optimizer = torch.optim.AdamW(model.trainable(), lr=config.learning_rate)
    model, optimizer = accelerator.prepare(model, optimizer)
    step = _resume(accelerator, model, optimizer, checkpoints)
    total = config.epochs * len(starts)
    total = min(total, config.max_steps) if config.max_steps else total
    metrics: dict[str, float] = {}
    log = (out / "metrics.jsonl").open("a") if accelerator.is_main_process else None
    bar = tqdm(total=total, initial=step, disable=not accelerator.is_local_main_process)
    model.train()
    while step < total:
        first = starts[step % len(starts)]
        batch = encoder.batch(items[first : first + config.batch_size][share])
        batch = batch.to(accelerator.device)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step, total)
        with accelerator.accumulate(model):
            output = model(batch)
            accelerator.backward(output.loss)
            optimizer.step()
            optimizer.zero_grad()
        step += 1
        # The global batch's losses: each process's are scaled so that their mean is that.
        losses = torch.stack([output.loss.detach(), output.lm_loss, output.contrastive_loss])
        loss, lm_loss, contrastive_loss = accelerator.reduce(losses, "mean").tolist()
        metrics = {"step": step, "epoch": step / len(starts), "loss": loss, "lm_loss": lm_loss,
                   "lr": optimizer.param_groups[0]["lr"],
                   "contrastive_loss": contrastive_loss}  # fmt: skip
        bar.update(1)
        bar.set_postfix(loss=f"{metrics['loss']:.3f}")
        if log:
            log.write(json.dumps(metrics) + "\n")
            log.flush()
        if step % config.checkpoint_every == 0 or step == total:
            _checkpoint(accelerator, model, optimizer, checkpoints, step, config.max_tokens)
    bar.close()
    if log:
        log.close()
    if accelerator.is_main_process:  # what serving and evaluation load: VIRA_VLM=fusion:DIR
        domain = learnt_from(config.data, items)
        save_trained(accelerator.unwrap_model(model), out / "model", config.max_tokens, domain)
    return metrics


def lighten(model: FusionVLM, device: torch.device, mixed_precision: str) -> None:
    """Cheaper training steps, the same arithmetic (measured in ``docs/training.md``). On a
    CPU, eager attention: PyTorch's flash-attention backward there is slow on short sequences.
    In bf16, the frozen weights stored in bf16: autocast casts them to bf16 for every matmul of
    every step anyway. What trains stays fp32."""
    if device.type == "cpu":
        model.lm.set_attn_implementation("eager")
    if mixed_precision == "bf16":
        for parameter in model.parameters():
            if not parameter.requires_grad:
                parameter.data = parameter.data.to(torch.bfloat16)


KEEP_CHECKPOINTS = 2


def _checkpoint(
    accelerator: Any, model: Any, optimizer: Any, folder: Path, step: int, max_tokens: int
) -> None:
    """What trained and the optimizer's state (not the frozen LM: megabytes, not gigabytes);
    the oldest checkpoints beyond the newest two are removed."""
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return
    target = folder / f"step-{step:08d}"
    save_trained(accelerator.unwrap_model(model), target, max_tokens)
    torch.save(optimizer.state_dict(), target / "optimizer.pt")
    for old in sorted(folder.glob("step-*"))[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old, ignore_errors=True)


def _start_from(model: FusionVLM, run: Path) -> None:
    """Load ``run``'s trained weights into ``model``. A run with another fusion module (stage 1
    on pictures alone, gated; stage 2 with passages, cross-attention) gives everything but its
    fusion weights: this model's fusion starts fresh."""
    from safetensors.torch import load_file

    folder = run / "model" if (run / "model").is_dir() else run
    weights = load_file(str(folder / WEIGHTS))
    earlier_config = json.loads((folder / CONFIG).read_text())["model"]
    if earlier_config.get("visual_words"):  # its projector's weights say these words
        model.use_visual_words(earlier_config["visual_words"])
    earlier = earlier_config.get("fusion")
    if earlier != model.config.fusion:
        weights = {k: v for k, v in weights.items() if not k.startswith("fusion.")}
    unknown = set(weights) - set(dict(model.named_parameters()))
    if unknown:
        raise ValueError(f"{folder} has weights this model lacks: {sorted(unknown)[:3]}")
    model.load_state_dict(weights, strict=False)


def restart_point(run: Path) -> int:
    """Before training ``run`` again: a finished run (it has ``model/``) is removed so that it
    trains from the start; an interrupted one keeps its checkpoints and resumes. The step it
    will start from."""
    if (run / "model").is_dir():
        shutil.rmtree(run)
    saved = _complete_checkpoints(run / "checkpoints")
    return int(saved[-1].name.removeprefix("step-")) if saved else 0


def train_again(config: TrainConfig) -> dict[str, float]:
    """Train ``config``'s run from the start (or resume it if interrupted, see
    ``restart_point``), timed: seconds, final loss and samples/s over the steps it ran."""
    resumed = restart_point(Path(config.output_dir))
    start = time.perf_counter()
    metrics = train(config)
    seconds = time.perf_counter() - start
    rate = (metrics["step"] - resumed) * config.batch_size / seconds
    return {"train_seconds": round(seconds), "final_loss": round(metrics["loss"], 4),
            "train_samples_per_s": round(rate, 2)}  # fmt: skip


def _complete_checkpoints(folder: Path) -> list[Path]:
    """Checkpoints whose optimizer state was written (the last file saved), oldest first."""
    return sorted(p for p in folder.glob("step-*") if (p / "optimizer.pt").exists())


def _resume(accelerator: Any, model: Any, optimizer: Any, folder: Path) -> int:
    """Load the newest checkpoint, if any; the step it was saved at (0 without one)."""
    from safetensors.torch import load_file

    saved = _complete_checkpoints(folder)
    if not saved:
        return 0
    weights = load_file(str(saved[-1] / WEIGHTS), device=str(accelerator.device))
    accelerator.unwrap_model(model).load_state_dict(weights, strict=False)
    optimizer.load_state_dict(torch.load(saved[-1] / "optimizer.pt", weights_only=True))
    return int(saved[-1].name.removeprefix("step-"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fusion_vlm.train", description=__doc__)
    parser.add_argument("config", type=Path)
    args = parser.parse_args(argv)
    try:
        config = TrainConfig.read(args.config)
    except (OSError, ValueError, TypeError) as exc:
        print(f"error: cannot read {args.config}: {exc}", file=sys.stderr)
        return 2
    metrics = train(config)
    print(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
