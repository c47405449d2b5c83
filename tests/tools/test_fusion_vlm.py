"""The trainable fusion VLM end to end on CPU: the packaged EfficientNet's feature map as the
vision tower, a tiny random causal LM built from a config (the real loading code, no
download), training through ``python -m tools.fusion_vlm.train`` with accelerate, resume from a
checkpoint, generation, and the fusion module's weights."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from tests.servers import free_port
from tests.tiny_models import _tiny_llama, tiny_tokenizer
from tools.fusion_vlm.knowledge_fusion import CrossAttentionFusion, GatedFusion
from tools.fusion_vlm.train import TrainConfig, main, train

pytestmark = pytest.mark.slow
SHAPES = [("red", "ellipse", "a red cat"), ("blue", "rectangle", "a blue car"),
          ("red", "rectangle", "a red house"), ("blue", "ellipse", "a blue cup")]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    from transformers import LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-lm")
    tokenizer = tiny_tokenizer(max_length=512)
    torch.manual_seed(0)
    LlamaForCausalLM(_tiny_llama(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def shapes_jsonl(folder, turns):
    """The four SHAPES drawn into ``folder`` and a Vira JSONL of one conversation each, its
    turns ``turns(image name, colour, caption)``; the JSONL's path."""
    lines = []
    for n, (colour, shape, caption) in enumerate(SHAPES):
        image = Image.new("RGB", (160, 160), "white")
        getattr(ImageDraw.Draw(image), shape)((30, 30, 130, 130), fill=colour)
        image.save(folder / f"s{n}.png")
        lines.append(json.dumps({"id": f"s{n}", "turns": turns(f"s{n}.png", colour, caption)}))
    (folder / "train.jsonl").write_text("\n".join(lines) + "\n")
    return folder / "train.jsonl"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return shapes_jsonl(
        tmp_path_factory.mktemp("shapes"),
        lambda image, _, caption: [
            {"question": "What is it?", "images": [image], "answers": [caption]}
        ],
    )


def config(tiny_lm, dataset, out, epochs: int, align_steps: int = 0, **overrides) -> TrainConfig:
    return TrainConfig(
        data={"format": "vira", "path": str(dataset)},
        output_dir=str(out),
        model_overrides={
            "language_model": str(tiny_lm),
            "projector_hidden": 32,
            "visual_tokens": 4,
            **overrides,
        },
        epochs=epochs,
        batch_size=4,
        learning_rate=0.01,
        checkpoint_every=10,
        align_steps=align_steps,
    )


def losses(out) -> list[float]:
    return [json.loads(line)["loss"] for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_training_lowers_the_loss_with_the_language_model_frozen(tiny_lm, dataset, tmp_path):
    metrics = train(config(tiny_lm, dataset, tmp_path / "run", epochs=40))
    seen = losses(tmp_path / "run")
    assert len(seen) == 40 and metrics["step"] == 40
    # A frozen random LM leaves the prefix little to move: the loss falls, slowly.
    assert sum(seen[-5:]) / 5 < seen[0] - 0.1, seen  # the whole set each step: no noise


def test_stage_two_tunes_the_language_model_too_and_learns_the_captions(tiny_lm, dataset, tmp_path):
    train(config(tiny_lm, dataset, tmp_path / "run", epochs=40, freeze_language_model=False))
    seen = losses(tmp_path / "run")
    assert sum(seen[-5:]) / 5 < 0.5 * seen[0], seen


def test_the_command_resumes_from_its_last_checkpoint(tiny_lm, dataset, tmp_path, capsys):
    out = tmp_path / "run"
    first = config(tiny_lm, dataset, out, epochs=10)
    (tmp_path / "c.json").write_text(json.dumps(vars(first)))
    assert main([str(tmp_path / "c.json")]) == 0
    from safetensors.torch import load_file

    saved = load_file(str(out / "checkpoints" / "step-00000010" / "trained.safetensors"))
    assert saved and not any(k.startswith("lm.") for k in saved)  # the frozen LM is not copied
    (tmp_path / "c.json").write_text(json.dumps({**vars(first), "epochs": 15}))
    assert main([str(tmp_path / "c.json")]) == 0
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 16))  # 1-10, then 11-15: none repeated after the resume
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 15
    # The resumed run is the uninterrupted one: the same losses, step by step, and the same
    # weights (the checkpoint restored the weights, the optimizer's moments and the data order).
    train(config(tiny_lm, dataset, tmp_path / "whole", epochs=15))
    assert losses(out) == pytest.approx(losses(tmp_path / "whole"), abs=1e-5)
    resumed = load_file(str(out / "model" / "trained.safetensors"))
    whole = load_file(str(tmp_path / "whole" / "model" / "trained.safetensors"))
    assert resumed.keys() == whole.keys()
    assert all(torch.allclose(resumed[k], whole[k], atol=1e-5) for k in whole)


def test_a_cosine_schedule_warms_up_decays_and_resumes_where_it_was(tiny_lm, dataset, tmp_path):
    def rates(out) -> list[float]:
        lines = (out / "metrics.jsonl").read_text().splitlines()
        return [json.loads(line)["lr"] for line in lines]

    schedule = {"lr_schedule": "cosine", "warmup_steps": 3, "max_steps": 12}
    whole = config(tiny_lm, dataset, tmp_path / "whole", epochs=100)
    (tmp_path / "w.json").write_text(json.dumps({**vars(whole), **schedule}))
    assert main([str(tmp_path / "w.json")]) == 0
    seen = rates(tmp_path / "whole")
    assert seen[:3] == pytest.approx([0.01 / 3, 0.02 / 3, 0.01])  # linear warm-up
    assert seen[3] == pytest.approx(0.01)  # the peak, then only down
    assert all(a > b for a, b in itertools.pairwise(seen[3:]))
    assert seen[-1] < 0.001
    halves = config(tiny_lm, dataset, tmp_path / "halves", epochs=100)
    (tmp_path / "h.json").write_text(json.dumps({**vars(halves), **schedule, "max_steps": 6}))
    assert main([str(tmp_path / "h.json")]) == 0  # stopped at step 6, then resumed to 12
    (tmp_path / "h.json").write_text(json.dumps({**vars(halves), **schedule}))
    assert main([str(tmp_path / "h.json")]) == 0
    # The 6-step run decayed to zero over its own 6 steps; the resumed half is the schedule of
    # 12 steps from step 6 on, as the uninterrupted run had it.
    assert rates(tmp_path / "halves")[6:] == pytest.approx(seen[6:])


def test_an_unknown_schedule_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "c.json").write_text(
        json.dumps({"data": {}, "output_dir": str(tmp_path / "run"), "lr_schedule": "linear"})
    )
    assert main([str(tmp_path / "c.json")]) == 2
    assert "lr_schedule 'linear': one of constant, cosine" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"align_steps": -5}, "align_steps -5: 0 (no alignment) or more"),
        ({"align_steps": 5}, 'align_steps aligns the words projector: set "projector": "words"'),
        ({"model": "efficientnet-qwen0.5b"}, "model 'efficientnet-qwen0.5b': one of"),
        ({"model_overrides": {"match_word_norm": True}}, "unexpected keyword argument"),
    ],
)
def test_a_config_it_cannot_train_is_refused_before_training(tmp_path, capsys, changes, said):
    run = {"data": {}, "output_dir": str(tmp_path / "run"), **changes}
    (tmp_path / "c.json").write_text(json.dumps(run))
    assert main([str(tmp_path / "c.json")]) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_saved_run_that_used_a_removed_option_is_refused_by_name():
    from tools.fusion_vlm.config import FusionVLMConfig

    saved = FusionVLMConfig().to_dict() | {"question_conditioned": False, "extra": {}}
    assert FusionVLMConfig.from_dict(saved) == FusionVLMConfig()  # left off: it loads
    for removed in ({"image_after_question": True}, {"passages": "tokens"}):
        with pytest.raises(ValueError, match="which Vira no longer has"):
            FusionVLMConfig.from_dict(saved | removed)


def test_a_bad_config_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "c.json").write_text("{not json")
    assert main([str(tmp_path / "c.json")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read")


def test_the_trained_model_generates_and_only_its_own_parts_train(tiny_lm, dataset, tmp_path):
    from tools.fusion_vlm.train import build, examples

    cfg = config(tiny_lm, dataset, tmp_path / "run", epochs=1)
    model, encoder = build(cfg)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen and all(n.startswith("lm.") for n in frozen)
    assert all(not n.startswith("lm.") for n, p in model.named_parameters() if p.requires_grad)
    items = examples(cfg)
    answers = model.generate(encoder.batch(items[:2], with_answer=False), max_new_tokens=5)
    assert len(answers) == 2 and all(1 <= len(a) <= 5 for a in answers)


def test_gated_fusion_weighs_three_sources_and_ignores_missing_passages():
    torch.manual_seed(0)
    fusion = GatedFusion(8)
    visual, question = torch.randn(2, 4, 8), torch.randn(2, 8)
    knowledge = torch.randn(2, 3, 8)
    mask = torch.tensor([[True, True, False], [False, False, False]])
    out = fusion(visual, question, knowledge, mask)
    assert out.shape == (2, 1, 8)
    assert torch.allclose(fusion.weights.sum(-1), torch.ones(2))
    assert fusion.weights[1, 2] < 1e-3 < fusion.weights[0, 2]  # no passages, no weight
    cross = CrossAttentionFusion(8)
    assert cross(visual, question, knowledge, mask).shape == (2, 4, 8)


def test_cross_attention_fusion_starts_as_the_identity_and_learns_to_let_passages_in():
    torch.manual_seed(0)
    cross = CrossAttentionFusion(8)
    visual, question = torch.randn(2, 4, 8), torch.randn(2, 8)
    knowledge, mask = torch.randn(2, 3, 8), torch.ones(2, 3, dtype=torch.bool)
    assert torch.equal(cross(visual, question, knowledge, mask), visual)  # stage 1 unchanged
    target = visual + knowledge.mean(1, keepdim=True)  # something only the passages give
    optimizer = torch.optim.Adam(cross.parameters(), lr=0.05)
    for _ in range(50):
        loss = (cross(visual, question, knowledge, mask) - target).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert cross.gate.abs() > 0.1
    assert loss < 0.5 * (visual - target).pow(2).mean()


@pytest.fixture(scope="module")
def trained_run(tiny_lm, dataset, tmp_path_factory):
    """Stage 2 on the four shapes until it has learnt them (the run's model/ folder)."""
    out = tmp_path_factory.mktemp("trained")
    train(config(tiny_lm, dataset, out, epochs=80, freeze_language_model=False))
    return out


def test_evaluation_reports_vqa_accuracy_and_recall(trained_run, dataset, tmp_path, capsys):
    from tools.fusion_vlm.evaluate import main as evaluate_main

    (tmp_path / "data.json").write_text(json.dumps({"format": "vira", "path": str(dataset)}))
    assert evaluate_main([str(trained_run), str(tmp_path / "data.json")]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["examples"] == 4
    assert scores["VQA accuracy"] >= 0.75, scores  # it learnt its four captions
    # Four pairs: recall at 5 or 10 would be 1 for any model, so only R@1 is reported, and the
    # trained heads pair each picture with its caption better than chance (0.25).
    assert not any("R@5" in key or "R@10" in key for key in scores), scores
    assert scores["image->text R@1"] >= 0.5 and scores["text->image R@1"] >= 0.5, scores


def test_the_assistant_answers_with_the_trained_model_as_its_backend(trained_run, dataset):
    from assistant import Assistant, Settings

    assistant = Assistant(Settings(vlm=f"trained:{trained_run}"))  # the earlier name still works
    answer = assistant.session("s").ask_text("What is it?", images=[dataset.parent / "s1.png"])
    assert "blue car" in answer.text, answer.text


def test_caption_metrics_and_recall_on_known_cases():
    from tools.fusion_vlm.metrics import caption_scores, recall_at_k, vqa_accuracy

    same = caption_scores([["a red cat on a mat"]] * 3, ["a red cat on a mat"] * 3)
    assert same["BLEU-1"] > 0.99 and same["BLEU-4"] > 0.99 and same["ROUGE-L"] > 0.99
    off = caption_scores([["a red cat on a mat"]] * 3, ["two blue cars"] * 3)
    assert off["BLEU-1"] < 0.01 and off["CIDEr"] < 0.01
    assert vqa_accuracy([["cat", "cat", "dog"]], ["Cat."]) == pytest.approx(2 / 3)
    eye = torch.eye(4)
    assert recall_at_k(eye, eye, (1,)) == {"image->text R@1": 1.0, "text->image R@1": 1.0}
    assert recall_at_k(eye, eye.roll(1, 0), (1,))["image->text R@1"] == 0.0
    second = eye.roll(1, 0) + 0.5 * eye  # each right partner is every image's second best
    assert recall_at_k(eye, second, (1, 2)) == {
        "image->text R@1": 0.0, "text->image R@1": 0.0,
        "image->text R@2": 1.0, "text->image R@2": 1.0,
    }  # fmt: skip
    assert recall_at_k(eye, eye.roll(1, 0), (1, 4, 5)).keys() == {
        "image->text R@1",
        "text->image R@1",
    }  # k as large as the set is always 1: not reported


def test_a_transformers_vision_tower_gives_patch_tokens(tmp_path):
    from tests.tiny_models import tiny_clip
    from tools.fusion_vlm.vision_tower import create_vision_tower

    tower = create_vision_tower(f"hf:{tiny_clip(tmp_path / 'clip')}")
    features = tower([Image.new("RGB", (64, 48), "red"), Image.new("RGB", (40, 40), "blue")])
    assert features.shape == (2, 17, tower.dim) and tower.dim == 32  # 16 patches + class
    with pytest.raises(ValueError, match="unknown vision tower"):
        create_vision_tower("resnet:x")


def test_a_finished_run_trains_again_from_the_start_and_an_interrupted_one_resumes(tmp_path):
    from tools.fusion_vlm.train import restart_point

    finished, interrupted = tmp_path / "finished", tmp_path / "interrupted"
    for run in (finished, interrupted):
        for step in (100, 200, 300):
            (run / "checkpoints" / f"step-{step:08d}").mkdir(parents=True)
            if step < 300:  # killed while saving step 300: it has no optimizer state yet
                (run / "checkpoints" / f"step-{step:08d}" / "optimizer.pt").write_bytes(b"")
    (finished / "model").mkdir()
    assert restart_point(finished) == 0 and not finished.exists()
    assert restart_point(interrupted) == 200
    assert (interrupted / "checkpoints" / "step-00000200").is_dir()
    assert restart_point(tmp_path / "new") == 0


def test_the_pyramid_tower_puts_earlier_feature_maps_on_the_same_grid():
    from tools.fusion_vlm.vision_tower import create_vision_tower

    images = []
    for colour in ("red", "blue"):
        image = Image.new("RGB", (224, 224), "white")
        ImageDraw.Draw(image).rectangle((20, 20, 90, 90), fill=colour)  # top left only
        images.append(image)
    tower = create_vision_tower("efficientnet-lite0-pyramid")
    pyramid = tower(images)
    assert pyramid.shape == (2, 49, 1432)
    # Its first 1280 values are the last map's token (the classifier's own), normalised; then
    # stride 16, stride 8.
    from knowledge_base.embeddings.efficientnet import preprocess

    batch = torch.from_numpy(np.stack([preprocess(img) for img in images]))
    with torch.inference_mode():
        plain = tower._backend.model.extract_features(batch).flatten(2).transpose(1, 2)
    expected = torch.nn.functional.layer_norm(plain.float(), (1280,))
    assert torch.allclose(pyramid[..., :1280], expected, atol=1e-4)
    for part in (slice(1280, 1392), slice(1392, 1432)):
        values = pyramid[..., part]
        assert values.mean(-1).abs().max() < 1e-4 and (values.std(-1) - 1).abs().max() < 0.05
        # Where the square is, the earlier maps tell the colours apart; the empty corner
        # opposite (bottom right) looks the same in both pictures.
        square, empty = (values[0, 8] - values[1, 8]).norm(), (values[0, 48] - values[1, 48]).norm()
        assert square > 5 * empty


def test_readers_for_coco_llava_okvqa_and_aokvqa(tmp_path):
    from tools.fusion_vlm.data import READERS

    for image_id in (139, 285):
        Image.new("RGB", (8, 8)).save(tmp_path / f"COCO_val2014_{image_id:012d}.jpg")
    coco = {"images": [{"id": 139, "file_name": "COCO_val2014_000000000139.jpg"}],
            "annotations": [{"image_id": 139, "caption": " A cat on a mat. "}]}  # fmt: skip
    llava = [{"image": "COCO_val2014_000000000285.jpg", "conversations": [
        {"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A bear."},
        {"from": "human", "value": "Where?"}, {"from": "gpt", "value": "In a forest."}]},
        {"conversations": [{"from": "human", "value": "text only"}]}]  # fmt: skip
    okq = {"questions": [{"question_id": 1, "image_id": 285, "question": "What animal?"}]}
    said = [{"answer": a} for a in ["bear", "bear", "grizzly"]]
    oka = {"annotations": [{"question_id": 1, "answers": said}]}
    aok = [{"question_id": "a1", "image_id": 139, "question": "Why?", "direct_answers":
            ["sleep", "rest", "sleep"], "rationales": ["Cats sleep a lot."]}]  # fmt: skip
    for name, data in [("coco", coco), ("llava", llava), ("okq", okq), ("oka", oka),
                       ("aok", aok)]:  # fmt: skip
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    got = list(READERS["coco"](annotations=tmp_path / "coco.json", images=tmp_path))
    assert [(e.question, e.answer) for e in got] == [("Describe the image.", "A cat on a mat.")]
    got = list(READERS["llava"](conversations=tmp_path / "llava.json", images=tmp_path))
    assert [(e.question, e.answer) for e in got] == [("What is it?", "A bear."),
                                                     ("Where?", "In a forest.")]  # fmt: skip
    got = list(READERS["okvqa"](questions=tmp_path / "okq.json",
                                annotations=tmp_path / "oka.json", images=tmp_path))  # fmt: skip
    assert [(e.answer, e.image.name) for e in got] == [("bear", "COCO_val2014_000000000285.jpg")]
    got = list(READERS["aokvqa"](questions=tmp_path / "aok.json", images=tmp_path))
    assert [(e.answer, e.passages) for e in got] == [("sleep", ("Cats sleep a lot.",))]


def test_the_same_command_runs_under_accelerate_launch_in_bf16(tiny_lm, dataset, tmp_path):
    cfg = config(tiny_lm, dataset, tmp_path / "run", epochs=3)
    cfg.mixed_precision = "bf16"
    (tmp_path / "c.json").write_text(json.dumps(vars(cfg)))
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "1",
               "--num_machines", "1", "--dynamo_backend", "no", "--cpu",
               "-m", "tools.fusion_vlm.train", str(tmp_path / "c.json")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["step"] == 3
    assert (tmp_path / "run" / "model" / "trained.safetensors").exists()


def test_stage_two_with_lora_trains_adapters_and_reloads_them(tiny_lm, dataset, tmp_path):
    from tools.fusion_vlm.checkpoint import load_trained

    out = tmp_path / "run"
    metrics = train(config(tiny_lm, dataset, out, epochs=10, lora_rank=4))
    from safetensors.torch import load_file

    saved = load_file(str(out / "model" / "trained.safetensors"))
    adapters = [k for k in saved if "lora_" in k]
    assert adapters and not [k for k in saved if k.startswith("lm.") and "lora_" not in k]
    model, _ = load_trained(out / "model", tmp_path)
    reloaded = dict(model.named_parameters())
    assert all(torch.equal(reloaded[k], saved[k]) for k in adapters)
    assert metrics["step"] == 10


def test_examples_get_passages_retrieved_through_the_knowledge_base(tiny_lm, dataset, tmp_path):
    from tools.fusion_vlm.train import build, examples

    notes = tmp_path / "shapes.md"
    notes.write_text("# Shapes\n\nA blue car is a toy.\n\n## Houses\n\nA red house has a roof.\n")
    cfg = config(tiny_lm, dataset, tmp_path / "run", epochs=1)
    cfg.knowledge = {"passages": [str(notes)], "k": 2}
    items = examples(cfg)
    assert all(item.passages for item in items)
    assert any("blue car" in p for item in items for p in item.passages)
    _, encoder = build(cfg)
    batch = encoder.batch(items)
    assert batch.knowledge_mask.any(1).all() and batch.knowledge.abs().sum() > 0


def test_one_batch_overfits_to_near_zero_loss(tiny_lm, dataset, tmp_path):
    train(config(tiny_lm, dataset, tmp_path / "run", epochs=120, freeze_language_model=False,
                 contrastive_weight=0.0))  # fmt: skip
    seen = losses(tmp_path / "run")
    assert seen[0] > 2.0 and sum(seen[-5:]) / 5 < 0.05, (seen[0], seen[-5:])


def test_a_checkpoint_reloads_to_identical_outputs(tiny_lm, dataset, tmp_path):
    from tools.fusion_vlm.checkpoint import load_trained, save_trained
    from tools.fusion_vlm.train import build, examples

    cfg = config(tiny_lm, dataset, tmp_path / "run", epochs=1)
    model, encoder = build(cfg)
    torch.manual_seed(1)
    with torch.no_grad():  # weights no fresh model has, so a silent non-load would show
        for p in model.trainable():
            p.add_(torch.randn_like(p) * 0.1)
    save_trained(model, tmp_path / "saved", cfg.max_tokens)
    again, _ = load_trained(tmp_path / "saved", tmp_path / "models")
    batch = encoder.batch(examples(cfg))
    model.eval()
    with torch.inference_mode():
        assert torch.equal(model(batch).loss, again(batch).loss)
        prompts = encoder.batch(examples(cfg), with_answer=False)
        assert model.generate(prompts, 6) == again.generate(prompts, 6)


def test_batched_generation_equals_one_prompt_at_a_time(trained_run, dataset):
    from tools.fusion_vlm.checkpoint import load_trained
    from tools.fusion_vlm.data import Example

    model, encoder = load_trained(trained_run / "model", trained_run / "models")
    questions = ["What is it?", "What is in this picture, please?", "Name it.", "It is?"]
    prompts = [Example(dataset.parent / f"s{n}.png", q, "") for n, q in enumerate(questions)]
    eos = encoder.tokenizer.eos_token_id
    together = model.generate(encoder.batch(prompts, with_answer=False), 8, eos)
    alone = [model.generate(encoder.batch([p], with_answer=False), 8, eos)[0] for p in prompts]
    assert together == alone


def test_two_processes_match_one_with_the_same_global_batch(tiny_lm, dataset, tmp_path):
    """Data parallel is the same training: InfoNCE negatives come from both processes, the LM
    loss is the global batch's mean, and the logged loss is the global one."""
    from safetensors.torch import load_file

    def launch(processes: int) -> tuple[dict[str, torch.Tensor], list[float]]:
        out = tmp_path / f"run{processes}"
        cfg = config(tiny_lm, dataset, out, epochs=4, contrastive_weight=0.5)
        (tmp_path / f"c{processes}.json").write_text(json.dumps(vars(cfg)))
        # `accelerate launch --cpu` starts one process whatever --num_processes says; torchrun
        # with ACCELERATE_USE_CPU starts them, and accelerate joins them over gloo.
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node",
                   str(processes), "--master_port", str(free_port()),
                   "-m", "tools.fusion_vlm.train", str(tmp_path / f"c{processes}.json"),
                   ]  # fmt: skip
        env = os.environ | {"ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1",
                            "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=300, check=False, env=env
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"processes: {processes}" in done.stderr, done.stderr[-2000:]
        return load_file(str(out / "model" / "trained.safetensors")), losses(out)

    (one, one_losses), (two, two_losses) = launch(1), launch(2)
    assert one.keys() == two.keys()
    assert len(one_losses) == len(two_losses) >= 4
    assert one_losses == pytest.approx(two_losses, rel=1e-4)
    contrastive = [
        json.loads(x)["contrastive_loss"]
        for x in (tmp_path / "run2" / "metrics.jsonl").read_text().splitlines()
    ]
    assert min(contrastive) > 0
    start = train_start(tiny_lm, dataset, tmp_path)
    moved = max((one[k] - start[k]).abs().max().item() for k in one)
    apart = max((one[k] - two[k]).abs().max().item() for k in one)
    assert moved > 0.01 and apart < 0.01 * moved, (moved, apart)


def train_start(tiny_lm, dataset, tmp_path) -> dict[str, torch.Tensor]:
    """The trainable weights as a run with seed 0 initialises them."""
    from accelerate.utils import set_seed

    from tools.fusion_vlm.train import build

    set_seed(0)
    model, _ = build(config(tiny_lm, dataset, tmp_path / "init", epochs=1))
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def test_the_fusion_backend_streams_an_answer_in_the_assistant(trained_run, dataset):
    from assistant import Assistant, Settings

    assistant = Assistant(Settings(vlm=f"fusion:{trained_run}"))
    events = list(assistant.session("s").ask("What is it?", images=[dataset.parent / "s1.png"]))
    tokens = [e.text for e in events if e.kind == "token"]
    assert len(tokens) >= 2 and "".join(tokens) == events[-1].answer.text
    assert "blue car" in events[-1].answer.text
    # what it was trained on, under the answer
    assert "Answered by a fusion model trained on vira (train.jsonl) (4 examples of graphics" in (
        events[-1].answer.text
    )


def test_a_run_trained_on_drawn_shapes_declines_a_photo(trained_run, dataset, tmp_path):
    """Served in the app, a shapes model asked about a real photo says what it cannot tell
    instead of naming one of its shapes; about a drawn shape it answers, in a chat with
    earlier turns it says it does not read them."""
    from skimage import data

    from assistant import Assistant, Settings
    from tools.fusion_vlm.checkpoint import trained_on

    domain = trained_on(trained_run / "model")
    assert domain.examples == 4 and domain.known_kinds() == {"graphic"}
    assert domain.covers("graphic") and domain.covers("") and not domain.covers("photo")
    photo = tmp_path / "cat.jpg"
    Image.fromarray(data.chelsea()).save(photo)
    session = Assistant(Settings(vlm=f"fusion:{trained_run}")).session("s")
    said = session.ask_text("What is it?", images=[photo]).text
    assert said.startswith("I can't tell: the model answering here was trained only on vira")
    assert said.endswith("and this picture is a photo.")  # no shape named as what it shows
    shape = session.ask_text("And this one?", images=[dataset.parent / "s1.png"]).text
    assert "blue car" in shape and "not at the earlier messages" in shape


def test_stage_two_starts_from_stage_ones_weights(tiny_lm, dataset, trained_run, tmp_path):
    fresh = config(tiny_lm, dataset, tmp_path / "fresh", epochs=1, freeze_language_model=False)
    train(fresh)
    started = config(tiny_lm, dataset, tmp_path / "next", epochs=1, freeze_language_model=False)
    started.init_from = str(trained_run)
    train(started)
    # The trained run already knows the four captions: its first loss is far below a fresh one.
    assert losses(tmp_path / "next")[0] < 0.3 * losses(tmp_path / "fresh")[0]


def test_stage_two_with_another_fusion_keeps_all_but_the_fusion(
    tiny_lm, dataset, trained_run, tmp_path
):
    from safetensors.torch import load_file

    from tools.fusion_vlm.train import _start_from, build

    crossed = config(tiny_lm, dataset, tmp_path / "x", epochs=1, freeze_language_model=False,
                     fusion="cross")  # fmt: skip
    model, _ = build(crossed)
    fresh = {n: p.detach().clone() for n, p in model.named_parameters() if n.startswith("fusion.")}
    _start_from(model, trained_run)
    earlier = load_file(str(trained_run / "model" / "trained.safetensors"))
    now = dict(model.named_parameters())
    assert torch.equal(now["projector.mlp.0.weight"], earlier["projector.mlp.0.weight"])
    assert fresh and all(torch.equal(now[n], p) for n, p in fresh.items())
    assert not any(k.startswith("fusion.") and k in now for k in earlier)  # gated, not cross


@pytest.mark.parametrize(
    "data, overrides",
    [("dataset", {}), ("captioned", {"projector": "words", "freeze_projector": True})],
    ids=["mlp projector", "frozen words projector"],
)
def test_lightening_stores_frozen_weights_in_bf16_and_keeps_the_loss(
    tiny_lm, data, overrides, tmp_path, request
):
    from tools.fusion_vlm.align import caption_targets
    from tools.fusion_vlm.train import build, examples, lighten

    dataset = request.getfixturevalue(data)
    cfg = config(tiny_lm, dataset, tmp_path / "l", epochs=1, lora_rank=4, **overrides)
    model, encoder = build(cfg)
    if overrides:
        model.use_visual_words(caption_targets(examples(cfg), encoder, 4)[1])
    batch = encoder.batch(examples(cfg))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        before = model(batch).lm_loss
    lighten(model, torch.device("cpu"), "bf16")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output = model(batch)
    output.loss.backward()
    frozen = [p for p in model.parameters() if not p.requires_grad]
    trained = [p for p in model.parameters() if p.requires_grad]
    assert frozen and all(p.dtype == torch.bfloat16 for p in frozen)
    assert trained and all(p.dtype == torch.float32 and p.grad is not None for p in trained)
    assert model.lm.config._attn_implementation == "eager"
    assert abs(output.lm_loss - before) < 0.02 * before  # autocast cast them to bf16 anyway


def test_training_aligns_first_and_not_again_when_it_resumes(tiny_lm, captioned, tmp_path):
    out = tmp_path / "run"
    first = config(tiny_lm, captioned, out, epochs=10, align_steps=20, projector="words")
    train(first)
    assert json.loads((out / "align.json").read_text())["align_steps"] == 20
    (out / "align.json").unlink()
    train(TrainConfig(**{**vars(first), "epochs": 15}))  # resumes from step 10's checkpoint
    assert not (out / "align.json").exists()


def test_a_frozen_projector_stays_as_it_started_and_is_saved_with_the_run(
    tiny_lm, dataset, trained_run, tmp_path
):
    from safetensors.torch import load_file

    from tools.fusion_vlm.checkpoint import load_trained

    out = tmp_path / "frozen"
    cfg = config(tiny_lm, dataset, out, epochs=5, freeze_projector=True,
                 freeze_language_model=False)  # fmt: skip
    cfg.init_from = str(trained_run)
    train(cfg)
    start = load_file(str(trained_run / "model" / "trained.safetensors"))
    saved = load_file(str(out / "model" / "trained.safetensors"))
    projector = [k for k in start if k.startswith("projector.")]
    assert projector and all(torch.equal(saved[k], start[k]) for k in projector)
    lm = [k for k in start if k.startswith("lm.")]
    assert lm and not all(torch.equal(saved[k], start[k]) for k in lm)  # the LM did train
    model, _ = load_trained(out / "model", out / "models")
    assert all(torch.equal(model.state_dict()[k], start[k]) for k in projector)


@pytest.fixture(scope="module")
def captioned(tmp_path_factory):
    """The four shapes, each asked to be described: the words projector's alignment data."""
    return shapes_jsonl(
        tmp_path_factory.mktemp("captioned"),
        lambda image, colour, caption: [
            {"question": "Describe the image.", "images": [image], "answers": [caption]},
            {"question": "What colour is it?", "answers": [colour]},
        ],
    )


def test_the_words_projector_learns_to_say_each_caption_word_by_word(tiny_lm, captioned, tmp_path):
    from tools.fusion_vlm.align import align
    from tools.fusion_vlm.train import build, examples
    from tools.fusion_vlm.word_projector import WordProjector

    cfg = config(tiny_lm, captioned, tmp_path / "w", epochs=1, projector="words")
    model, encoder = build(cfg)
    assert isinstance(model.projector, WordProjector)
    items = examples(cfg)
    figures = align(model, encoder, items, steps=80, batch_size=4, learning_rate=3e-3)
    words = model.config.visual_words
    assert figures["align_captions"] == 4 and figures["align_vocabulary"] == len(words)
    pictures = sorted({e.image for e in items}, key=lambda p: p.name)
    with torch.no_grad():
        said = model.projector.logits(encoder.vision(pictures), model.words()).argmax(-1)
    decoded = [encoder.tokenizer.decode([words[i] for i in row]).strip() for row in said]
    assert [d.split(".")[0].strip() for d in decoded] == [c for _, _, c in SHAPES], decoded
    # What the LM reads: mixtures of its own word embeddings, close to the words said.
    visual = model.visual(encoder.vision(pictures[:1]))
    nearest = (visual[0] @ model.words().T).argmax(-1)
    assert torch.equal(nearest, said[0])


def test_a_words_run_keeps_its_vocabulary_through_resume_and_reload(tiny_lm, captioned, tmp_path):
    from safetensors.torch import load_file

    from tools.fusion_vlm.checkpoint import load_trained

    out = tmp_path / "run"
    first = config(tiny_lm, captioned, out, epochs=10, align_steps=20, projector="words",
                   freeze_projector=True)  # fmt: skip
    train(first)
    saved = json.loads((out / "model" / "fusion_vlm.json").read_text())["model"]["visual_words"]
    assert saved and saved == sorted(saved)
    aligned = load_file(str(out / "model" / "trained.safetensors"))
    train(TrainConfig(**{**vars(first), "epochs": 15}))  # resumes, without aligning again
    model, encoder = load_trained(out / "model", tmp_path / "models")
    assert list(model.config.visual_words) == saved
    again = load_file(str(out / "model" / "trained.safetensors"))
    assert all(torch.equal(again[k], v) for k, v in aligned.items() if k.startswith("projector."))
    image = sorted(captioned.parent.glob("*.png"))[:1]
    visual = model.visual(encoder.vision(image))
    # Each token the LM reads lies in the span of the saved words' embeddings.
    words = model.words()
    coefficients = torch.linalg.lstsq(words.T.float(), visual[0].T.float()).solution
    assert torch.allclose(words.T.float() @ coefficients, visual[0].T.float(), atol=1e-4)


def test_the_words_projector_without_captions_is_refused_in_one_line(tiny_lm, dataset, tmp_path):
    from tools.fusion_vlm.train import build, examples

    cfg = config(tiny_lm, dataset, tmp_path / "w", epochs=1, align_steps=5, projector="words")
    with pytest.raises(ValueError, match="aligns on captions, and the data has none"):
        train(cfg)
    model, encoder = build(cfg)
    with pytest.raises(ValueError, match="no vocabulary"):
        model.visual(encoder.vision([examples(cfg)[0].image]))


@pytest.mark.parametrize("read_as", ["fusion", "text", "select"])
def test_the_fusion_backend_gives_passages_the_way_the_model_was_trained(
    trained_run, dataset, tmp_path, read_as
):
    import shutil

    from tests.factories import cat_ref, passage
    from tools.answering.backends.fusion_vlm import FusionVLMBackend
    from tools.answering.prompt import AnswerRequest

    folder = shutil.copytree(trained_run / "model", tmp_path / "model")
    meta = json.loads((folder / "fusion_vlm.json").read_text())
    meta["model"]["passages"] = read_as
    (folder / "fusion_vlm.json").write_text(json.dumps(meta))
    backend = FusionVLMBackend(folder, tmp_path / "models")
    _, encoder = backend._load()
    seen = []
    encode = encoder.batch_of_images

    def recorded(examples, images):  # what the model is given, then given to it
        seen.extend(examples)
        return encode(examples, images)

    encoder.batch_of_images = recorded
    note = "The blue car belongs to Hana."
    request = AnswerRequest("Whose is it?", [cat_ref(with_pixels=True)], [passage(note, "n.md")])
    assert "".join(backend.stream(request)).strip()
    example = seen[-1]  # a selecting model is asked to choose first
    if read_as == "text":
        assert example.question == f"{note} Whose is it?" and example.passages == ()
    else:
        assert example.question == "Whose is it?" and example.passages == (note,)
    # The chosen passage's words go before the question; the other ways read none as words.
    assert example.chosen == (0 if read_as == "select" else -1)
    assert len(seen) == (2 if read_as == "select" else 1)


OWNERS = ("Aldo", "Berit", "Chen", "Dara")


def owners_jsonl(folder):
    """The four SHAPES, each asked whose it is, with all four notes as its passages in an order
    of its own and ``gold`` where its own note is."""
    shapes_jsonl(folder, lambda *_: [])
    notes = [f"The {caption} belongs to {owner}."
             for (_, _, caption), owner in zip(SHAPES, OWNERS, strict=True)]  # fmt: skip
    rows = []
    for n, owner in enumerate(OWNERS):
        order = notes[n:] + notes[:n] if n % 2 else notes[::-1]
        rows.append(
            {
                "image": f"s{n}.png",
                "question": "Whose is it?",
                "answer": owner,
                "kind": "knowledge",
                "passages": order,
                "gold": order.index(notes[n]),
            }
        )
    (folder / "owners.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n")
    return folder / "owners.jsonl"


def select_config(tiny_lm, data, out, epochs):
    return replace(
        config(tiny_lm, data, out, epochs=epochs, passages="select"),
        data={"format": "scenes", "path": str(data), "knowledge": "select"},
    )


def test_the_selector_trains_through_the_passages_path(tiny_lm, tmp_path):
    """The passages' embeddings and their projection get gradient from choosing: the k path
    of alpha = softmax(FFN([v; l; k])) trains."""
    from tools.fusion_vlm.train import build, examples

    cfg = select_config(tiny_lm, owners_jsonl(tmp_path), tmp_path / "run", epochs=1)
    model, encoder = build(cfg)
    batch = encoder.batch(examples(cfg))
    assert batch.chosen.tolist() == [e.chosen for e in examples(cfg)] and min(batch.chosen) >= 0
    output = model(batch)
    output.loss.backward()
    assert output.selection_loss is not None and output.selection_loss > 0
    hidden = model.knowledge_proj.out_features
    k_block = model.selector.score[0].weight.grad[:, 2 * hidden : 3 * hidden]
    assert model.knowledge_proj.weight.grad.abs().sum() > 0 and k_block.abs().sum() > 0


def test_the_picture_chooses_its_own_note_wherever_it_is_listed(tiny_lm, tmp_path):
    """Trained on four pictures with their notes in one order each, the selector picks each
    picture's note from the same notes listed in other orders: it matches the picture to the
    note, not to a position."""
    from tools.fusion_vlm.checkpoint import load_trained
    from tools.fusion_vlm.data import read_scenes

    data = owners_jsonl(tmp_path)
    train(select_config(tiny_lm, data, tmp_path / "run", epochs=80))
    model, encoder = load_trained(tmp_path / "run" / "model", tmp_path / "models")
    items = list(read_scenes(data, "select"))
    for turn in range(1, 4):
        moved = []
        for item in items:
            order = item.passages[turn:] + item.passages[:turn]
            own = item.passages[item.chosen]
            moved.append(replace(item, passages=order, chosen=order.index(own)))
        picks = model.pick(encoder.batch([replace(m, chosen=-1) for m in moved], False))
        assert picks == [m.chosen for m in moved]


def test_a_passage_whose_words_the_picture_says_in_order_matches_best():
    """The picture read as words ("small red circle at the top, large blue square in the
    middle") matches a note that binds the same words per object above one that has the same
    words bound otherwise, and a note with none of its words scores lowest."""
    from tools.fusion_vlm.model import phrase_match

    vocabulary = str.split("a small large red blue circle square at the top in middle and")
    reading = str.split("a small red circle at the top and a large blue square in the middle")
    said = torch.full((1, len(reading), len(vocabulary)), -9.0)
    for position, word in enumerate(reading):
        said[0, position, vocabulary.index(word)] = -0.01

    def words(note: str) -> list[int]:
        return [vocabulary.index(w) if w in vocabulary else -1 for w in note.split()]

    shelf = "The {} red circle at the top belongs to Aldo . The {} blue square in the middle ."
    notes = [shelf.format("small", "large"), shelf.format("large", "small"), "Nothing here ."]
    ids = [words(n) for n in notes]
    longest = max(map(len, ids))
    passages = torch.tensor([[i + [-1] * (longest - len(i)) for i in ids]])
    own, rebound, none = phrase_match(said, passages)[0].tolist()
    assert own > rebound > none
