"""The public API: ``Assistant(settings).session(id).ask(text, images=[...])``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from PIL import Image

from assistant.access import Access, User
from assistant.agent import AgentPlanner
from assistant.audit import AuditLog
from assistant.events import Answer, Event
from assistant.expiry import Sweeper
from assistant.export import to_markdown
from assistant.library import Library
from assistant.limits import FairUse, LimitExceeded
from assistant.memory import Conversation, Exchange, Memory, StoredImage
from assistant.orchestrator import Orchestrator
from assistant.pictures import and_alike, picture_query
from assistant.settings import Settings
from assistant.turn import Services
from imaging import Ocr, UnreadableImage
from knowledge_base import Hit, KnowledgeBase, SourceView
from knowledge_base.shelves import Shelves
from tools.answering.backends.base import AnswerBackend
from tools.answering.prompt import AnswerRequest, ImageRef
from tools.answering.registry import create_vlm
from tools.vision import ImageEncoder

log = logging.getLogger(__name__)


class Planner(Protocol):
    def run(
        self,
        session_id: str,
        text: str,
        images: list[Path],
        knowledge: Shelves | None = None,
        detailed: bool = False,
    ) -> Iterator[Event]: ...


class Assistant:
    """Composes the knowledge base, the vision tools and the answering model. Nothing loads
    until first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        knowledge: KnowledgeBase | None = None,
        vlm: AnswerBackend | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self.knowledge = knowledge or KnowledgeBase(settings)
        ocr = self.knowledge.ocr or Ocr()
        self.encoder = ImageEncoder(
            self.knowledge.image_embedding, ocr, settings.data_dir / "image_cache"
        )
        self.vlm = vlm or create_vlm(settings)
        self.memory = Memory(settings.data_dir, settings.session_ttl_hours * 3600)
        services = Services(settings, self.knowledge, self.encoder, self.vlm, self.memory)
        model = chat_model or _planner_model(settings)
        self.planner: Planner = AgentPlanner(services, model) if model else Orchestrator(services)
        self.access = Access(settings)
        self.fair_use = FairUse(settings.questions_per_minute, settings.upload_mb_per_hour)
        audit = AuditLog(settings.data_dir / "audit.jsonl")
        self.library = Library(
            self.knowledge, audit, self.fair_use, settings.max_user_documents,
            settings.audit_lines,
        )  # fmt: skip
        self.expire_idle()
        self.sweeper = Sweeper(self.expire_idle, settings.sweep_seconds)
        self._warm_up: threading.Thread | None = None
        #: Reads pictures attached to messages not sent yet (``Session.prepare``), two at once
        #: at most: on a small machine, ahead-of-time work must not crowd out sent questions.
        self.preparing = ThreadPoolExecutor(2, thread_name_prefix="vira-prepare")

    def expire_idle(self) -> None:
        """Delete the conversations idle for ``VIRA_SESSION_TTL_HOURS`` (their turns and
        pictures) and the documents of visitors' sessions idle as long."""
        self.memory.expire()
        self.library.expire(self.settings.session_ttl_hours * 3600)

    @property
    def warming_up(self) -> bool:
        """True while ``warm_up`` is still loading the models (the UI says so)."""
        return self._warm_up is not None and self._warm_up.is_alive()

    def session(self, session_id: str, user: User | None = None) -> Session:
        """The conversation ``session_id`` of ``user`` (by default, whoever this machine's
        sign-in rules make of an unnamed user: the admin on a laptop, a visitor on a Space)."""
        self.sweeper.due()
        return Session(self, session_id, user or self.access.user(session_id))

    def search_with_picture(self, user: User, picture: str | Path, k: int = 5) -> list[Hit]:
        """What ``user``'s documents hold about a picture: passages with the words printed in
        it or what it shows, and their pictures that look like it. ``UnreadableImage`` for a
        file that is not a readable picture."""
        facts = self.encoder.encode(Path(picture))
        shelves = self.library.shelves(user)
        query = picture_query(facts, guesses=True)
        # Its words find passages; pictures are found by likeness, not by those words.
        found = shelves.search(query, k, kind="text") if query else []
        return and_alike(found, shelves, Path(picture), self.settings.picture_relevance, k)

    def conversations(self, owner: str) -> list[Conversation]:
        """The conversations of ``owner`` (a signed-in user, or one browser), latest first."""
        self.sweeper.due()
        return self.memory.conversations(owner)

    @property
    def concurrency(self) -> int:
        """Chat turns worth running at once: the answering engine's slots, and at least 4, so
        that the image encoding and retrieval of waiting turns overlap another's generation
        and a waiting user is told where they stand."""
        return max(4, getattr(self.vlm, "parallel", 1))

    def warm_up(self) -> threading.Thread:
        """Load every model in the background, so that the first question of a freshly started
        app does not wait for them. The answering model (a llama-server process), the
        picture models and the text embedder (when there is something to search) load side by
        side; a question that comes first waits only for the one it needs next. Failures are
        logged; the first question then loads (and reports) them as usual."""
        loads = (
            self.vlm.warm_up,
            lambda: self.encoder.encode(Image.new("RGB", (64, 64), "white")),  # labels + OCR
            self._warm_up_search,
        )

        def load(part: Callable[[], object]) -> None:
            try:
                part()
            except Exception:  # a warm-up must never take the app down
                log.exception("warming up the models failed")

        def run() -> None:
            with ThreadPoolExecutor(len(loads), thread_name_prefix="vira-load") as pool:
                list(pool.map(load, loads))

        thread = threading.Thread(target=run, name="vira-warm-up", daemon=True)
        self._warm_up = thread
        thread.start()
        return thread

    def _warm_up_search(self) -> None:
        # With no documents there is nothing to search: the text embedder then loads when
        # the first one is added. Loading it anyway slowed a fresh app's first answer by 3 s
        # on two cores, by taking the CPU from llama-server's prefill.
        if self.knowledge.list() or self.library.any_shelves():
            self.knowledge.embedding.encode(["warm up"])


PLANNER_MAX_TOKENS = 512
PLANNER_TIMEOUT_S = 120.0


def _planner_model(settings: Settings) -> BaseChatModel | None:
    """The tool-calling chat model named by ``VIRA_PLANNER``, or None for the default."""
    name, _, model = settings.planner.partition(":")
    if name == "deterministic":
        return None
    if name != "openai" or not model or not settings.openai_base_url:
        raise ValueError(
            "VIRA_PLANNER is deterministic or openai:<model> with VIRA_OPENAI_BASE_URL"
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        temperature=0,
        # A plan is a tool call or a short answer; a small model left unbounded may write
        # until its context is full (minutes on a CPU) before the fallback can take the turn.
        max_tokens=PLANNER_MAX_TOKENS,
        timeout=PLANNER_TIMEOUT_S,
        max_retries=1,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # a missing file is reported by the turn itself


def _utf8(text: str | None) -> str:
    """Text that UTF-8 can carry: lone surrogates (a JSON "\\ud800", a bad decode) would
    crash SQLite and the tokenizer; they become "?"."""
    return (text or "").encode("utf-8", "replace").decode("utf-8")


class Session:
    """One conversation: its own images, turns and uploads, kept across restarts."""

    def __init__(self, assistant: Assistant, session_id: str, user: User) -> None:
        if not session_id or len(session_id) > 200:
            raise ValueError("a session id is 1 to 200 characters")
        self.assistant = assistant
        self.id = session_id
        self.user = user

    def ask(
        self, text: str, images: list[str | Path] | None = None, detailed: bool | None = None
    ) -> Iterator[Event]:
        """Stream events: tool_call, tool_result, token..., then answer (or error).
        ``detailed``: a paragraph with the details instead of one or two sentences (by
        default, as ``VIRA_ANSWER_LENGTH`` says)."""
        if detailed is None:
            detailed = self.assistant.settings.answer_length == "detailed"
        paths = [Path(p) for p in images or []]
        if not self.user.is_admin:
            try:
                self.assistant.fair_use.ask(self.user.key)
                self.assistant.fair_use.upload(self.user.key, sum(_size(p) for p in paths))
            except LimitExceeded as exc:
                yield Event("error", str(exc))
                return
        shelves = self.assistant.library.shelves(self.user)
        yield from self.assistant.planner.run(self.id, _utf8(text), paths, shelves, detailed)

    def prepare(self, images: list[str | Path]) -> Future[None]:
        """Start reading pictures attached to a message not sent yet, so that its question is
        answered sooner: their facts are cached and, where the answering model keeps a
        prompt cache, the chat up to those facts is read into it. Nothing is kept in the
        chat, and a picture that cannot be read is reported when the message is sent."""
        return self.assistant.preparing.submit(self._prepare, [Path(p) for p in images])

    def _prepare(self, paths: list[Path]) -> None:
        assistant = self.assistant
        if not paths:
            return
        if not self.user.is_admin and not assistant.fair_use.may_read_ahead(self.user.key):
            return
        try:
            facts = assistant.encoder.encode_many(paths)
        except (UnreadableImage, OSError):
            return
        prefill = getattr(assistant.vlm, "prefill", None)
        if prefill is None:
            return
        memory, settings = assistant.memory, assistant.settings
        first = len(memory.images(self.id)) + 1
        refs = [ImageRef(f"img-{first + n}", f) for n, f in enumerate(facts)]
        history = memory.history(self.id, settings.history_tokens)
        prefill(AnswerRequest("", refs, history=history))

    def ask_text(
        self, text: str, images: list[str | Path] | None = None, detailed: bool | None = None
    ) -> Answer:
        """Block until the answer is complete; raise ``ValueError`` with the error message."""
        errors = []
        for event in self.ask(text, images, detailed):
            if event.kind == "answer" and event.answer is not None:
                return event.answer
            if event.kind == "error":
                errors.append(event.text)
        raise ValueError("; ".join(errors) or "no answer")

    def images(self) -> list[StoredImage]:
        return self.assistant.memory.images(self.id)

    def clear(self) -> None:
        self.assistant.memory.clear(self.id)

    def claim(self, owner: str) -> bool:
        """List this conversation among ``owner``'s; False when it is somebody else's."""
        return self.assistant.memory.claim(self.id, owner)

    def transcript(self) -> list[Exchange]:
        """Every question with its pictures and every answer with its sources."""
        return self.assistant.memory.transcript(self.id)

    def rename(self, title: str) -> None:
        self.assistant.memory.rename(self.id, title)

    def delete(self) -> None:
        """Forget the conversation: its turns, its images and their stored files."""
        self.assistant.memory.delete(self.id)

    def source_view(self, hit: Hit) -> SourceView:
        """A passage an answer cited, where it sits in its document: its PDF page with the
        passage highlighted, or the text around it in its section. Empty for a passage of
        documents this user cannot read."""
        return self.assistant.library.shelves(self.user).source_view(hit)

    def markdown(self, title: str = "Conversation") -> str:
        """The conversation as a Markdown document, sources under each answer."""
        return to_markdown(title, self.transcript())
