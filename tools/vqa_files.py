"""OK-VQA and A-OKVQA question files over a local folder of COCO images: read once here, for
training (``tools.fusion_vlm.data``) and for evaluation (``assistant.eval``) alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class VQAFileError(ValueError):
    """A question file that does not match its images; the message says which."""


@dataclass(frozen=True)
class VQAItem:
    question_id: str
    question: str
    image: Path
    answers: tuple[str, ...]  # every annotator's answer (repeats count for soft accuracy)


def coco_image(folder: Path, image_id: int) -> Path:
    """COCO names images ``COCO_val2014_000000297147.jpg`` (2014) or ``000000297147.jpg``."""
    matches = sorted(Path(folder).glob(f"*{image_id:012d}.jpg"))
    if not matches:
        raise VQAFileError(f"no image for COCO id {image_id} in {folder}")
    return matches[0]


def okvqa_items(questions: dict, annotations: dict, images: Path) -> list[VQAItem]:
    answers = {
        a["question_id"]: tuple(x["answer"] for x in a["answers"])
        for a in annotations.get("annotations", [])
    }
    return [
        VQAItem(str(q["question_id"]), q["question"], coco_image(images, q["image_id"]),
                answers[q["question_id"]])
        for q in questions["questions"]
        if q["question_id"] in answers
    ]  # fmt: skip


def aokvqa_items(records: list[dict], images: Path) -> list[VQAItem]:
    return [
        VQAItem(str(r["question_id"]), r["question"], coco_image(images, r["image_id"]),
                tuple(r["direct_answers"]))
        for r in records
    ]  # fmt: skip
