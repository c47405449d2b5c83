"""The evaluation harness: dataset readers (Vira JSONL, OK-VQA, A-OKVQA), scoring, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from assistant.eval.__main__ import main
from assistant.eval.dataset import DatasetError, GoldTurn, load
from assistant.eval.metrics import Scored, mentions, normalise, says_dont_know, summary

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "eval" / "dev" / "dev.jsonl"


def test_the_shipped_dev_set_is_complete():
    conversations = load(DEV)
    turns = [t for c in conversations for t in c.turns]
    assert len(turns) >= 40
    kinds = {t.kind for t in turns}
    assert {"naming", "reading", "knowledge", "follow-up", "idk", "injection"} <= kinds
    files = [p for t in turns for p in t.images] + [d for c in conversations for d in c.documents]
    assert files and all(p.is_file() for p in files)
    assert any(len({p for t in c.turns for p in t.images}) > 1 for c in conversations)


def test_vira_lines_are_read_and_bad_lines_named(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    good = {"id": "x", "documents": ["d.md"], "turns": [{"question": "Q?", "images": ["a.png"]}]}
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + '{"id": "y", "turns": []}\n')
    with pytest.raises(DatasetError, match=r"set.jsonl:3: KeyError"):
        load(path)
    path.write_text(json.dumps(good) + "\n")
    (conversation,) = load(path)
    assert conversation.turns[0].images == (tmp_path / "a.png",)
    assert conversation.documents == (tmp_path / "d.md",)
    with pytest.raises(DatasetError, match="not a Vira"):
        (tmp_path / "other.json").write_text("{}")
        load(tmp_path / "other.json")


def _coco(folder: Path, name: str) -> None:
    folder.mkdir(exist_ok=True)
    Image.new("RGB", (8, 8)).save(folder / name)


def test_okvqa_files_with_a_coco_folder(tmp_path):
    _coco(tmp_path / "val2014", "COCO_val2014_000000297147.jpg")
    questions = {"questions": [{"image_id": 297147, "question": "What sport?", "question_id": 7}]}
    answers = ["racing"] * 6 + ["motocross"] * 4
    annotations = {"annotations": [{"question_id": 7, "answers": [{"answer": a} for a in answers]}]}
    (tmp_path / "q.json").write_text(json.dumps(questions))
    (tmp_path / "a.json").write_text(json.dumps(annotations))
    with pytest.raises(DatasetError, match="--annotations"):
        load(tmp_path / "q.json")
    (conversation,) = load(tmp_path / "q.json", tmp_path / "val2014", tmp_path / "a.json")
    (turn,) = conversation.turns
    assert turn.images[0].name == "COCO_val2014_000000297147.jpg"
    assert turn.answer_counts == {"racing": 6, "motocross": 4}
    assert Scored("7", 0, turn, "It looks like motocross.").vqa_score == 1.0


def test_aokvqa_files_with_a_coco_folder(tmp_path):
    _coco(tmp_path / "val2017", "000000461751.jpg")
    record = {
        "question_id": "22jbM6gDxdaMaunuzgrsBB",
        "image_id": 461751,
        "question": "What is in the motorcyclist's mouth?",
        "choices": ["toothpick", "food", "popsicle stick", "cigarette"],
        "correct_choice_idx": 3,
        "direct_answers": ["cigarette"] * 8 + ["toothpick", "nothing"],
        "rationales": ["He's smoking."],
    }
    (tmp_path / "aokvqa_v1p0_val.json").write_text(json.dumps([record]))
    (conversation,) = load(tmp_path / "aokvqa_v1p0_val.json", tmp_path / "val2017")
    turn = conversation.turns[0]
    assert turn.images[0].name == "000000461751.jpg" and turn.answer_counts["cigarette"] == 8
    assert Scored("q", 0, turn, "A toothpick.").vqa_score == pytest.approx(1 / 3)
    with pytest.raises(DatasetError, match="no image for COCO id 461751"):
        load(tmp_path / "aokvqa_v1p0_val.json", tmp_path)


def test_answers_are_matched_after_normalising():
    assert normalise("The total: 19.50 EUR!") == "total 19.50 eur"
    assert mentions("It is grey.", "gray") and mentions("Tulip-4471 it is", "tulip-4471")
    assert not mentions("concatenate", "cat") and not mentions("", "cat")
    assert says_dont_know("I don't know.") and says_dont_know("The name is not specified.")
    assert not says_dont_know("It is a cat.")


def test_a_turn_is_right_only_when_every_rule_holds():
    turn = GoldTurn("Q", kind="k", answers=("cat",), keywords=("brown|tan",), forbidden=("hacked",))
    assert Scored("c", 0, turn, "A tan cat.").correct
    assert not Scored("c", 0, turn, "A cat.").correct  # keyword missing
    assert not Scored("c", 0, turn, "A tan cat. HACKED").correct
    assert not Scored("c", 0, turn, "A tan cat.", error="model down").correct
    idk = GoldTurn("Q", unanswerable=True)
    assert Scored("c", 0, idk, "I cannot tell from the image.").correct
    assert not Scored("c", 0, idk, "Her name is Chelsea.").correct
    cited = GoldTurn("Q", sources=("a.md", "b.md"), support="every 3 months")
    right = Scored("c", 1, cited, "x", sources=["a.md"], cited=["Descale every 3 months."])
    wrong = Scored("c", 1, cited, "x", sources=["c.md"], cited=["Soup on Fridays."])
    assert (right.recall, right.faithful, wrong.recall, wrong.faithful) == (0.5, True, 0, False)
    result = summary([right, wrong, Scored("c", 0, idk, "I don't know.")])
    assert result["retrieval_recall"] == 0.25 and result["citation_faithfulness"] == 0.5
    assert result["follow_up_accuracy"] == 1.0 and result["by_kind"]["other"]["questions"] == 3


def test_confidently_wrong_is_a_wrong_answer_stated_as_fact():
    naming = GoldTurn("What is this?", kind="naming", answers=("bee",))
    fact = Scored("c", 0, naming, "The picture shows a lampshade.")
    hedged = Scored("c", 0, naming, "It may be a lampshade, but I'm not sure.")
    refused = Scored("c", 0, naming, "I can't tell what it shows.")
    right = Scored("c", 0, naming, "It shows a bee.")
    assert [s.confidently_wrong for s in (fact, hedged, refused, right)] == [
        True, False, False, False
    ]  # fmt: skip
    idk = GoldTurn("Is there water in the background?", kind="cant-tell", unanswerable=True)
    assert Scored("c", 1, idk, "No, there is no water.").confidently_wrong
    count = GoldTurn("How many dogs?", kind="count", answers=("two",), may_refuse=True)
    assert Scored("c", 1, count, "I can't tell from what I can see.").correct  # honest
    assert Scored("c", 1, count, "There are two dogs.").correct
    assert Scored("c", 1, count, "There are three dogs.").confidently_wrong
    result = summary([fact, hedged, refused, right])
    assert result["confidently_wrong"] == 0.25 and result["confidently_wrong_count"] == 1
    assert result["by_kind"]["naming"]["confidently_wrong"] == 1
    assert result["accuracy_knowable"] == 0.25  # counts and refusals are not "knowable"


def test_the_real_photo_set_is_complete():
    folder = ROOT / "eval" / "photos"
    turns = [t for name in ("dev", "test") for c in load(folder / f"{name}.jsonl") for t in c.turns]
    photos = {p.name for t in turns for p in t.images} - {
        line.split("|")[1].strip() + ".jpg"
        for line in (folder / "SOURCES.md").read_text().splitlines()
        if "| drawing |" in line
    }
    assert len(photos) >= 60 and all(p.is_file() for t in turns for p in t.images)
    kinds = {t.kind for t in turns}
    assert {"naming", "colour", "colour-fill", "no-text", "count", "position", "cant-tell",
            "kind", "doc-trap", "doc-split"} <= kinds  # fmt: skip
    sources = (folder / "SOURCES.md").read_text()
    assert all(f"| {p.removesuffix('.jpg')} |" in sources for p in photos)  # each with a licence


def test_unreadable_dataset_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_runs_the_dev_set_with_the_offline_default(tmp_path, capsys):
    out = tmp_path / "result.json"
    assert main([str(DEV), "--limit", "1", "--out", str(out)]) == 0
    table = capsys.readouterr().out
    assert "answer accuracy" in table and "retrieval recall@k" in table
    result = json.loads(out.read_text())
    assert result["questions"] == 4 and result["errors"] == 0
    first, _, knowledge, _ = result["turns"]
    assert first["correct"], first  # "What animal is this?" about chelsea
    assert knowledge["retrieved"][0] == "cat_care.md" and knowledge["recall"] == 1.0


@pytest.mark.slow
def test_the_same_dataset_runs_on_another_backend(tmp_path, monkeypatch, capsys):
    """The backend comes from the settings: a (tiny, random) transformers VLM built here
    answers the same conversations; its answers are noise, but every turn is scored."""
    from tests.tiny_models import tiny_llava

    monkeypatch.setenv("VIRA_VLM", f"transformers:{tiny_llava(tmp_path / 'llava')}")
    out = tmp_path / "result.json"
    assert main([str(DEV), "--limit", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["vlm"].startswith("transformers:") and result["questions"] == 6
    assert result["errors"] == 0 and all(isinstance(t["answer"], str) for t in result["turns"])
    assert "with transformers:" in capsys.readouterr().out


def test_empty_and_marks_only_answers_are_counted():
    from assistant.eval.metrics import Scored, summary

    turn = GoldTurn("Q", answers=("cat",))
    scored = [Scored("c", 0, turn, a) for a in ("[1]", "", " [2][3] ", "A cat [1].")]
    assert [s.empty for s in scored] == [True, True, True, False]
    assert summary(scored)["empty_answers"] == 3


def test_turns_the_planner_model_handed_over_and_tool_text_are_counted():
    from assistant.agent import FELL_BACK
    from assistant.eval.runner import ask
    from assistant.events import Answer, Event

    class Scripted:
        def __init__(self, *events: Event) -> None:
            self.events = events

        def ask(self, question: str, images: list) -> list[Event]:
            return list(self.events)

    turn = GoldTurn("What animal is this?", answers=("cat",))
    answer = Event("answer", answer=Answer("A cat."))
    handed = ask(Scripted(Event("status", FELL_BACK), answer), "c", 0, turn)
    planned = ask(Scripted(Event("status", "Searching your documents"), answer), "c", 1, turn)
    assert handed.fell_back and not planned.fell_back
    leaked = Scored("c", 2, turn, '<tool_call>{"name": "encode_image", "arguments": {}}')
    result = summary([handed, planned, leaked])
    assert result["fell_back"] == 1 and result["tool_text"] == 1
