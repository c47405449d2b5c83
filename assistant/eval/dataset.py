"""Evaluation datasets: Vira's own JSONL (conversations over images and documents) and the
OK-VQA / A-OKVQA question files with a local folder of COCO images.

Vira's format, one conversation per line (paths relative to the file)::

    {"id": "cat-chain", "documents": ["docs/cats.md"],
     "turns": [{"question": "What animal is this?", "images": ["images/chelsea.jpg"],
                "kind": "naming", "answers": ["cat", "kitten"]},
               {"question": "How often should it be fed?", "kind": "knowledge",
                "keywords": ["twice"], "sources": ["cats.md"], "support": "twice a day"}]}

A turn is right when it contains one of ``answers`` (if given), every entry of ``keywords``
(``"a|b"`` accepts either), none of ``forbidden``, and says it does not know exactly when
``unanswerable`` is true. ``may_refuse``: the packaged models cannot know the answer (a count,
a position), so an honest "I can't tell" is right too.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.vqa_files import VQAFileError, VQAItem, aokvqa_items, okvqa_items


class DatasetError(ValueError):
    """The file is not a dataset this reader understands; the message says where."""


@dataclass(frozen=True)
class GoldTurn:
    """One question of an eval conversation, with what a right answer holds."""

    question: str
    images: tuple[Path, ...] = ()
    kind: str = "other"
    answers: tuple[str, ...] = ()
    #: For VQA-style data: how many annotators gave each answer (soft VQA accuracy).
    answer_counts: dict[str, int] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    unanswerable: bool = False
    sources: tuple[str, ...] = ()  # gold documents (file names) the answer should come from
    support: str = ""  # the fact a cited passage must contain
    #: The gold is the name of something outside the classifier's classes: reported apart.
    outside_labels: bool = False
    #: Saying it cannot tell is right too (the packaged models cannot know the answer).
    may_refuse: bool = False


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[GoldTurn, ...]
    documents: tuple[Path, ...] = ()


def load(path: Path, images: Path | None = None, annotations: Path | None = None) -> list:
    """Read any supported dataset; the format is recognised from the file itself."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    if path.suffix == ".jsonl":
        return read_vira(path)
    data = _json(path)
    if isinstance(data, dict) and "questions" in data:
        if annotations is None or images is None:
            raise DatasetError("OK-VQA questions need --annotations FILE and --images DIR")
        return read_okvqa(data, _json(annotations), images)
    if isinstance(data, list) and data and "direct_answers" in data[0]:
        if images is None:
            raise DatasetError("A-OKVQA questions need --images DIR (the COCO images)")
        return read_aokvqa(data, images)
    raise DatasetError(f"{path}: not a Vira .jsonl, an OK-VQA questions file or an A-OKVQA file")


def _json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: {exc}") from None


def read_vira(path: Path) -> list[Conversation]:
    root = path.parent
    conversations = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            conversations.append(_conversation(record, root, number))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}:{number}: {type(exc).__name__}: {exc}") from None
    return conversations


def _conversation(record: dict, root: Path, number: int) -> Conversation:
    turns = tuple(
        GoldTurn(
            question=t["question"],
            images=tuple(root / p for p in t.get("images", [])),
            kind=t.get("kind", "other"),
            answers=tuple(t.get("answers", [])),
            keywords=tuple(t.get("keywords", [])),
            forbidden=tuple(t.get("forbidden", [])),
            unanswerable=bool(t.get("unanswerable", False)),
            sources=tuple(t.get("sources", [])),
            support=t.get("support", ""),
            outside_labels=bool(t.get("outside_labels", False)),
            may_refuse=bool(t.get("may_refuse", False)),
        )
        for t in record["turns"]
    )
    if not turns:
        raise KeyError("turns (at least one)")
    documents = tuple(root / p for p in record.get("documents", []))
    return Conversation(str(record.get("id", number)), turns, documents)


def _vqa_turn(question: str, image: Path, answers: tuple[str, ...]) -> GoldTurn:
    counts = Counter(a.strip() for a in answers if a.strip())
    return GoldTurn(question, (image,), "vqa", tuple(counts), dict(counts))


def _conversations(items: list[VQAItem]) -> list[Conversation]:
    return [Conversation(i.question_id, (_vqa_turn(i.question, i.image, i.answers),))
            for i in items]  # fmt: skip


def read_okvqa(questions: dict, annotations: dict, images: Path) -> list[Conversation]:
    try:
        return _conversations(okvqa_items(questions, annotations, images))
    except VQAFileError as exc:
        raise DatasetError(str(exc)) from None


def read_aokvqa(records: list[dict], images: Path) -> list[Conversation]:
    try:
        return _conversations(aokvqa_items(records, images))
    except VQAFileError as exc:
        raise DatasetError(str(exc)) from None
