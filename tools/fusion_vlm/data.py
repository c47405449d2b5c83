"""Training data for the fusion VLM: readers for COCO captions, LLaVA-style conversations and
Vira's JSONL, and the step that turns examples into tensors (the frozen vision features and
passage embeddings computed once per image and passage)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from tools.fusion_vlm.model import IGNORE, Batch
from tools.fusion_vlm.vision_tower import VisionTower
from tools.vqa_files import aokvqa_items, okvqa_items

CAPTION_PROMPT = "Describe the image."


@dataclass(frozen=True)
class Example:
    image: Path
    question: str
    answer: str
    passages: tuple[str, ...] = field(default=())
    #: The passage whose words go before the question (a selecting model's training target,
    #: or its choice when answering); -1: none.
    chosen: int = -1


def passages_as_text(question: str, passages: tuple[str, ...]) -> str:
    """The question with the passages put before it (knowledge concatenated as text)."""
    return " ".join((*passages, question))


def read_coco_captions(annotations: Path, images: Path) -> Iterator[Example]:
    """``captions_*.json``: one example per caption."""
    data = json.loads(annotations.read_text())
    files = {img["id"]: img["file_name"] for img in data["images"]}
    for ann in data["annotations"]:
        yield Example(images / files[ann["image_id"]], CAPTION_PROMPT, ann["caption"].strip())


def read_llava(conversations: Path, images: Path) -> Iterator[Example]:
    """LLaVA's JSON: each human turn and the gpt turn after it, with the record's image."""
    for record in json.loads(conversations.read_text()):
        if "image" not in record:
            continue
        turns = record["conversations"]
        for human, gpt in zip(turns[::2], turns[1::2], strict=False):
            question = human["value"].replace("<image>", "").strip()
            yield Example(images / record["image"], question, gpt["value"].strip())


def read_vira_jsonl(path: Path) -> Iterator[Example]:
    """Vira's eval JSONL: each turn that shows an image and has a gold answer (follow-ups use
    the conversation's last image)."""
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        image = None
        for turn in json.loads(line)["turns"]:
            image = (path.parent / turn["images"][-1]) if turn.get("images") else image
            answer = (turn.get("answers") or [None])[0] or turn.get("support")
            if image is not None and answer:
                yield Example(image, turn["question"], str(answer))


def read_okvqa(questions: Path, annotations: Path, images: Path) -> Iterator[Example]:
    """OK-VQA: each question with its most frequent annotator answer."""
    data, gold = json.loads(questions.read_text()), json.loads(annotations.read_text())
    for item in okvqa_items(data, gold, images):
        yield Example(item.image, item.question, Counter(item.answers).most_common(1)[0][0])


def read_aokvqa(questions: Path, images: Path) -> Iterator[Example]:
    """A-OKVQA: each question with its most frequent direct answer, its rationales as
    passages (the knowledge the answer rests on)."""
    records = json.loads(questions.read_text())
    for item, record in zip(aokvqa_items(records, images), records, strict=True):
        answer = Counter(item.answers).most_common(1)[0][0]
        yield Example(item.image, item.question, answer, tuple(record.get("rationales", [])))


#: easy-VQA's train images from this id on are held out of training as a validation slice.
EASY_VQA_VALIDATION_FROM = 3600


def read_easy_vqa(split: str) -> Iterator[Example]:
    """easy-VQA (the ``easy-vqa`` package: 64x64 images of one coloured shape, 13 answers).
    ``train`` is the package's train split without its last 400 images, which form
    ``validation``; ``test`` is the package's test split (report on it, never tune on it)."""
    import easy_vqa

    if split not in ("train", "validation", "test"):
        raise ValueError(f"easy-VQA has no split {split!r}: use train, validation or test")
    source = "test" if split == "test" else "train"
    questions, answers, image_ids = getattr(easy_vqa, f"get_{source}_questions")()
    paths = getattr(easy_vqa, f"get_{source}_image_paths")()
    for question, answer, image_id in zip(questions, answers, image_ids, strict=True):
        held_out = image_id >= EASY_VQA_VALIDATION_FROM
        if source == "test" or held_out == (split == "validation"):
            yield Example(Path(paths[image_id]), question, answer)


def read_scenes(path: Path, knowledge: str = "fusion") -> Iterator[Example]:
    """A generated split of CLEVR-style scenes (``python -m eval.scenes``: one question a line,
    with its image, answer and passages: the scene's note, or notes retrieved for it with
    ``gold``, the index of the scene's own). ``knowledge``: ``fusion`` (the passages go to the
    knowledge-fusion module), ``select`` (to the passage selector, the scene's own note as the
    one to choose), ``text`` (put before the question, as text concatenation), or ``none``."""
    for line in path.read_text().splitlines():
        q = json.loads(line)
        passages = tuple(q["passages"])
        question = q["question"]
        if knowledge == "text":
            question = passages_as_text(question, passages)
        kept = passages if knowledge in ("fusion", "select") else ()
        chosen = q.get("gold", -1) if knowledge == "select" and kept else -1
        yield Example(path.parent / q["image"], question, q["answer"], kept, chosen)


READERS: dict[str, Callable[..., Iterator[Example]]] = {
    "easy_vqa": read_easy_vqa,
    "scenes": read_scenes,
    "okvqa": read_okvqa,
    "aokvqa": read_aokvqa,
    "coco": read_coco_captions,
    "llava": read_llava,
    "vira": read_vira_jsonl,
}


#: Reader arguments that are not file paths.
_NOT_PATHS = {"split", "knowledge"}


def read_examples(spec: dict[str, Any]) -> list[Example]:
    """The examples a config's ``data`` names: ``{"format": ..., <reader arguments>}``."""
    spec = dict(spec)
    fmt = spec.pop("format", None)
    if fmt not in READERS:
        raise ValueError(f"unknown data format {fmt!r}: use {', '.join(READERS)}")
    args = {k: v if k in _NOT_PATHS else Path(v) for k, v in spec.items()}
    return list(READERS[fmt](**args))


#: Passage embeddings kept (384 floats each: ~150 MB at this many).
MAX_CACHED_PASSAGES = 100_000


class Encoder:
    """Examples -> tensors. Vision features and passage embeddings are cached by image path
    and text: the tower and the text model are frozen, so each is computed once."""

    def __init__(
        self,
        tower: VisionTower,
        tokenizer: Any,
        embed_passages: Callable[[list[str]], np.ndarray] | None,
        knowledge_dim: int,
        max_tokens: int = 128,
    ) -> None:
        self.tower, self.tokenizer, self.embed_passages = tower, tokenizer, embed_passages
        self.knowledge_dim, self.max_tokens = knowledge_dim, max_tokens
        self._vision: dict[Path, torch.Tensor] = {}
        self._passages: dict[str, torch.Tensor] = {}

    def vision(self, paths: list[Path]) -> torch.Tensor:
        missing = [p for p in dict.fromkeys(paths) if p not in self._vision]
        for start in range(0, len(missing), 16):
            chunk = missing[start : start + 16]
            features = self.tower([Image.open(p).convert("RGB") for p in chunk])
            self._vision.update(zip(chunk, features, strict=True))
        return torch.stack([self._vision[p] for p in paths])

    def tokens(self, example: Example, with_answer: bool) -> tuple[list[int], list[int], int]:
        """Token ids, labels (the answer's tokens; IGNORE for the prompt) and how many of the
        first tokens are the chosen passage's words."""
        question, words = example.question, 0
        if example.chosen >= 0:
            passage = example.passages[example.chosen]
            question = passages_as_text(question, (passage,))
            words = len(self.tokenizer(f"Question: {passage}")["input_ids"])
        prompt = self.tokenizer(f"Question: {question}\nAnswer:")["input_ids"]
        if not with_answer:
            return prompt, [IGNORE] * len(prompt), words
        answer = [*self.answer_ids(example.answer), self.tokenizer.eos_token_id]
        ids = (prompt + answer)[: self.max_tokens]
        return ids, ([IGNORE] * len(prompt) + answer)[: self.max_tokens], words

    def answer_ids(self, answer: str) -> list[int]:
        """An answer's tokens as they follow "Answer:" (after a space)."""
        return self.tokenizer(" " + answer)["input_ids"]

    def batch(self, examples: list[Example], with_answer: bool = True) -> Batch:
        return self._batch(examples, self.vision([e.image for e in examples]), with_answer)

    def batch_of_images(self, examples: list[Example], images: list[Image.Image]) -> Batch:
        """Prompts (no answers) about images given as pixels, not files (serving)."""
        return self._batch(examples, self.tower(images), with_answer=False)

    def _batch(self, examples: list[Example], vision: torch.Tensor, with_answer: bool) -> Batch:
        rows = [self.tokens(e, with_answer) for e in examples]
        width = max(len(ids) for ids, _, _ in rows)
        pad = self.tokenizer.pad_token_id or 0
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        words = torch.zeros((len(rows), width), dtype=torch.bool)
        for i, (row_ids, row_labels, row_words) in enumerate(rows):
            ids[i, : len(row_ids)] = torch.tensor(row_ids)
            labels[i, : len(row_labels)] = torch.tensor(row_labels)
            mask[i, : len(row_ids)] = 1
            words[i, :row_words] = True
        knowledge, known = self.knowledge(examples)
        chosen = torch.tensor([e.chosen for e in examples], dtype=torch.long)
        return Batch(vision, ids, mask, labels, knowledge, known, chosen, words,
                     self.passage_tokens(examples, known.shape[1]))  # fmt: skip

    def passage_tokens(self, examples: list[Example], most: int) -> torch.Tensor:
        """[B, Nk, Tp] the passages' own token ids (-1 beyond each one's end), for matching
        them word by word against the picture; empty where no example has passages."""
        rows = [[self.tokenizer(" " + p)["input_ids"][: self.max_tokens] for p in e.passages]
                for e in examples]  # fmt: skip
        longest = max((len(t) for row in rows for t in row), default=0)
        tokens = torch.full((len(examples), most, longest), -1, dtype=torch.long)
        for i, row in enumerate(rows):
            for j, ids in enumerate(row):
                tokens[i, j, : len(ids)] = torch.tensor(ids)
        return tokens

    def knowledge(self, examples: list[Example]) -> tuple[torch.Tensor, torch.Tensor]:
        most = max(1, max(len(e.passages) for e in examples))
        vectors = torch.zeros((len(examples), most, self.knowledge_dim))
        known = torch.zeros((len(examples), most), dtype=torch.bool)
        if self.embed_passages is None:
            return vectors, known
        self._embed([p for e in examples for p in e.passages], self.embed_passages)
        for i, example in enumerate(examples):
            for j, passage in enumerate(example.passages):
                vectors[i, j], known[i, j] = self._passages[passage], True
        return vectors, known

    def _embed(self, passages: list[str], embed: Callable[[list[str]], np.ndarray]) -> None:
        """Embed the passages not seen yet, in one call: a training set repeats each note
        across its questions and epochs."""
        missing = [p for p in dict.fromkeys(passages) if p not in self._passages]
        if not missing:
            return
        if len(self._passages) + len(missing) > MAX_CACHED_PASSAGES:  # serving sees new ones
            self._passages.clear()
        found = torch.from_numpy(np.asarray(embed(missing))).float()
        self._passages.update(zip(missing, found, strict=True))
