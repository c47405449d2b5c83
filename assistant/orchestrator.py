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
        """Check the message and register its images (both planners start here). Returns
        (facts by image id, the new image ids), or None after an error event."""
        if not text and not images:
            yield Event("error", "Ask a question, or add an image and ask about it.")
            return None
        if len(text) > self.settings.max_question_chars:
            yield Event(
                "error",
                f"The question is {len(text):,} characters long; the limit is "
                f"{self.settings.max_question_chars:,}.",
            )
            return None
        self.memory.touch(session_id)
        facts: dict[str, ImageFacts] = {}
        new: list[str] = []
        for path in images[: self.settings.max_images_per_turn]:
            stored = yield from self._register(session_id, path, facts)
            if stored is not None:
                new.append(stored.image_id)
        return facts, new

    def _register(self, session_id: str, path: Path, facts: dict[str, ImageFacts]):
        name = Path(path).name
        yield Event("tool_call", tool="encode_image", data={"image": name})
        result = _call(self.encode_tool, {"image": str(path)})
        if result.artifact is None:
            yield Event("error", f"{name}: {result.content}")
            return None
        # The facts' id is the sha256 of the file's bytes: no need to hash it again.
        stored = self.memory.add_image(session_id, Path(path), result.artifact.image_id, name)
        labels = [label.name for label in result.artifact.labels]
        self.memory.set_labels(session_id, stored.number, labels)
        facts[stored.image_id] = result.artifact
        yield _facts_event(stored.image_id, result)
        return stored

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
