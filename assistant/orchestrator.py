"""The deterministic planner: which images, whether to retrieve, then answer — as events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.messages import ToolMessage
from PIL import Image

from assistant.events import Answer, Event, Source
from assistant.memory import Memory, StoredImage
from assistant.resolve import KnownImage, resolve
from assistant.settings import Settings
from knowledge_base import Hit, KnowledgeBase
from knowledge_base.loaders.image import open_image
from tools import make_encode_image, make_search_knowledge
from tools.fusion.backends.base import FusionBackend
from tools.fusion.citations import checked_citations
from tools.fusion.errors import BackendUnavailable
from tools.fusion.prompt import FusionRequest, ImageRef, Passage, Turn, facts_carried
from tools.vision import ImageEncoder, ImageFacts


def _call(tool: Any, args: dict[str, Any]) -> ToolMessage:
    return tool.invoke({"type": "tool_call", "id": tool.name, "name": tool.name, "args": args})


def _facts_event(image_id: str, result: ToolMessage) -> Event:
    return Event(
        "tool_result", tool="encode_image", data={"image": image_id, "facts": result.content}
    )


def _relevant(hit: Hit, bar: float, has_images: bool) -> bool:
    """Vector matches must clear the bar. Words-only matches (an exact code, the text in a
    picture, where the vector search had no say) count only when no image is in play."""
    if hit.similarity is not None:
        return hit.similarity >= bar
    return not has_images


class Orchestrator:
    def __init__(
        self,
        settings: Settings,
        knowledge: KnowledgeBase,
        encoder: ImageEncoder,
        vlm: FusionBackend,
        memory: Memory,
    ) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.encoder = encoder
        self.vlm = vlm
        self.memory = memory
        self.search_tool = make_search_knowledge(knowledge)
        self.encode_tool = make_encode_image(encoder)

    def run(self, session_id: str, text: str, images: list[Path]) -> Iterator[Event]:
        text = text.strip()
        begun = yield from self.begin(session_id, text, images)
        if begun is None:
            return
        facts, new = begun
        known = self.memory.images(session_id)
        targets = resolve(text, [KnownImage(i.image_id, i.number, i.labels) for i in known], new)
        by_id = {image.image_id: image for image in known}
        for image_id in targets:
            if image_id not in facts:
                yield from self._encode(by_id[image_id], facts)
        passages = yield from self._retrieve(text or "Describe the image.", bool(targets))
        yield from self._answer(session_id, text, targets, by_id, facts, passages)

    def begin(self, session_id: str, text: str, images: list[Path]):  # noqa: ANN201 - a generator that returns
        """Check the message, read its images, and only when all of it is good register the
        images (both planners start here). Returns (facts by image id, the new image ids),
        or None after error events — a refused message changes nothing in memory."""
        problem = self._refusal(text, images)
        if problem:
            yield Event("error", problem)
            return None
        read: list[tuple[Path, ImageFacts]] = []
        failed = False
        for path in images:
            facts = yield from self._read(path)
            failed = failed or facts is None
            read.append((path, facts))
        if failed:
            return None
        self.memory.touch(session_id)
        facts_by_id: dict[str, ImageFacts] = {}
        new: list[str] = []
        for path, facts in read:
            stored = self.memory.add_image(session_id, path, facts.image_id, path.name)
            self.memory.set_labels(session_id, stored.number, [x.name for x in facts.labels])
            facts_by_id[stored.image_id] = facts
            new.append(stored.image_id)
        return facts_by_id, new

    def _refusal(self, text: str, images: list[Path]) -> str | None:
        limits = self.settings
        if not text and not images:
            return "Ask a question, or add an image and ask about it."
        if len(text) > limits.max_question_chars:
            return (
                f"The question is {len(text):,} characters long; the limit is "
                f"{limits.max_question_chars:,}."
            )
        if len(images) > limits.max_images_per_turn:
            return (
                f"{len(images)} images in one message; the limit is "
                f"{limits.max_images_per_turn}. Send them in smaller groups."
            )
        for path in images:
            if not path.exists():
                return f"{path.name}: file not found."
            if not path.is_file():
                return f"{path.name}: not a file."
            size = path.stat().st_size
            if size > limits.max_upload_bytes:
                return (
                    f"{path.name} is {size / 2**20:.1f} MB; the limit is "
                    f"{limits.max_upload_mb:g} MB."
                )
        return None

    def _read(self, path: Path):
        yield Event("tool_call", tool="encode_image", data={"image": path.name})
        result = _call(self.encode_tool, {"image": str(path)})
        if result.artifact is None:  # the tool's message names the file and the reason
            reason = str(result.content).rstrip(".")
            yield Event("error", f"{reason}. Nothing from this message was kept.")
            return None
        yield _facts_event(path.name, result)
        return result.artifact

    def _encode(self, image: StoredImage, facts: dict[str, ImageFacts]) -> Iterator[Event]:
        yield Event("tool_call", tool="encode_image", data={"image": image.image_id})
        result = _call(self.encode_tool, {"image": str(image.path)})
        if result.artifact is not None:
            facts[image.image_id] = result.artifact
        yield _facts_event(image.image_id, result)

    def _retrieve(self, query: str, has_images: bool):
        """Search when the knowledge base has documents; keep hits similar enough. With images,
        the bar is higher: perception questions should not drag in unrelated passages."""
        if not self.knowledge.list():
            return []
        args = {"query": query[:2000], "k": self.settings.passages}
        yield Event("tool_call", tool="search_knowledge", data=args)
        hits: list[Hit] = _call(self.search_tool, args).artifact or []
        bar = self.settings.relevance_with_images if has_images else self.settings.relevance
        kept = [h for h in hits if _relevant(h, bar, has_images)]
        summary = {"found": len(hits), "kept": len(kept), "threshold": bar}
        yield Event("tool_result", tool="search_knowledge", data=summary)
        return kept

    def _answer(
        self,
        session_id: str,
        text: str,
        targets: list[str],
        by_id: dict[str, StoredImage],
        facts: dict[str, ImageFacts],
        hits: list[Hit],
    ) -> Iterator[Event]:
        history = self.history(session_id)
        refs = [
            ImageRef(i, facts[i], self._pixels(by_id[i]) if self.vlm.sees_pixels else None)
            for i in targets
            if i in facts
        ]
        passages = [Passage(n, h.text, h.citation()) for n, h in enumerate(hits, start=1)]
        question = text or "Describe the image."
        request = FusionRequest(question, refs, passages, history)
        prompt = self.vlm.render(request)
        pieces: list[str] = []
        try:
            for piece in self.vlm.stream(request):
                pieces.append(piece)
                yield Event("token", piece)
        except BackendUnavailable as exc:
            yield Event("error", f"The answering model is unavailable: {exc}")
            return
        used = [r.image_id for r in refs]
        text = checked_citations("".join(pieces), passages)
        answer = self.record(session_id, question, text, hits, used, prompt, facts_carried(request))
        yield Event("answer", answer.text, answer=answer)

    def history(self, session_id: str) -> list[Turn]:
        """The conversation so far, within the token budget (both planners use it)."""
        return [
            Turn(t.role, t.text, t.prompt, t.facts_of, t.images)
            for t in self.memory.history(session_id, self.settings.history_tokens)
        ]

    def record(
        self,
        session_id: str,
        question: str,
        answer_text: str,
        hits: list[Hit],
        used: list[str],
        prompt: str = "",
        facts_of: tuple[str, ...] = (),
    ) -> Answer:
        """Build the answer with its numbered sources and keep the turn in memory."""
        answer_text = answer_text.strip()
        sources = [
            Source(
                n,
                h.source,
                h.page,
                h.text[:300],
                h.score,
                h.kind,
                cited=f"[{n}]" in answer_text,
                image_path=h.image_path,
                text=h.text,
            )
            for n, h in enumerate(hits, start=1)
        ]
        self.memory.add_turn(session_id, "user", question, used, prompt, facts_of)
        self.memory.add_turn(session_id, "assistant", answer_text, used)
        return Answer(answer_text, sources, used)

    @staticmethod
    def _pixels(image: StoredImage) -> Image.Image:
        return open_image(image.path)
