"""The public API: ``Assistant(settings).session(id).ask(text, images=[...])``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from assistant.events import Answer, Event
from assistant.memory import Memory, StoredImage
from assistant.orchestrator import Orchestrator
from assistant.settings import Settings
from knowledge_base import KnowledgeBase
from knowledge_base.ocr import Ocr
from tools.fusion.backends.base import FusionBackend
from tools.fusion.registry import create_vlm
from tools.vision import ImageEncoder


class Assistant:
    """Composes the knowledge base, the vision tools and the answering model. Nothing loads
    until first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        knowledge: KnowledgeBase | None = None,
        vlm: FusionBackend | None = None,
    ) -> None:
        self.settings = settings
        self.knowledge = knowledge or KnowledgeBase(settings)
        ocr = self.knowledge.ocr or Ocr()
        self.encoder = ImageEncoder(
            self.knowledge.image_embedding, ocr, settings.data_dir / "image_cache"
        )
        self.vlm = vlm or create_vlm(settings)
        self.memory = Memory(settings.data_dir, settings.session_ttl_hours * 3600)
        self.memory.expire()
        self.orchestrator = Orchestrator(
            settings, self.knowledge, self.encoder, self.vlm, self.memory
        )
        self._lock = threading.Lock()

    def session(self, session_id: str) -> Session:
        return Session(self, session_id)


class Session:
    """One conversation: its own images, turns and uploads, kept across restarts."""

    def __init__(self, assistant: Assistant, session_id: str) -> None:
        if not session_id or len(session_id) > 200:
            raise ValueError("a session id is 1 to 200 characters")
        self.assistant = assistant
        self.id = session_id

    def ask(self, text: str, images: list[str | Path] | None = None) -> Iterator[Event]:
        """Stream events: tool_call, tool_result, token..., then answer (or error)."""
        paths = [Path(p) for p in images or []]
        yield from self.assistant.orchestrator.run(self.id, text, paths)

    def ask_text(self, text: str, images: list[str | Path] | None = None) -> Answer:
        """Block until the answer is complete; raise ``ValueError`` with the error message."""
        errors = []
        for event in self.ask(text, images):
            if event.kind == "answer" and event.answer is not None:
                return event.answer
            if event.kind == "error":
                errors.append(event.text)
        raise ValueError("; ".join(errors) or "no answer")

    def images(self) -> list[StoredImage]:
        return self.assistant.memory.images(self.id)

    def clear(self) -> None:
        self.assistant.memory.clear(self.id)
