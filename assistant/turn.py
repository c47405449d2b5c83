"""One turn of a conversation, shared by both planners: check the message, read its images,
then look, search and answer through the plain tool functions, emitting the same events."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from langchain_core.tools import BaseTool

from assistant.events import Answer, Event, Source
from assistant.memory import Memory, StoredImage
from assistant.pictures import and_alike, picture_query
from assistant.resolve import asks_documents
from assistant.settings import Settings
from imaging import open_image
from knowledge_base import Hit, Kind, KnowledgeBase
from knowledge_base.competitors import without_competitors
from knowledge_base.shelves import Shelves
from knowledge_base.types import plural
from tools import (
    ToolError,
    answer_with_vlm,
    encode_image,
    make_answer_with_vlm,
    make_encode_image,
    make_search_knowledge,
    search_knowledge,
)
from tools.answering.backends.base import AnswerBackend
from tools.answering.finish import finished
from tools.answering.grounding import refuses
from tools.answering.prompt import AnswerRequest, ImageRef, Turn, facts_carried
from tools.vision import ImageEncoder, ImageFacts

DEFAULT_QUESTION = "Describe the image."


@dataclass(frozen=True)
class Services:
    """What a turn works with; the ``Assistant`` builds it once."""

    def reading(self, knowledge: Shelves | None) -> Services:
        """The same services reading ``knowledge`` (one user's shelves) for a turn."""
        return self if knowledge is None else replace(self, knowledge=knowledge)

    settings: Settings
    knowledge: KnowledgeBase | Shelves  # for a turn: the shared base and the user's own
    encoder: ImageEncoder
    vlm: AnswerBackend
    memory: Memory


def begin_turn(
    services: Services, session_id: str, text: str, images: list[Path], detailed: bool = False
) -> Generator[Event, None, TurnContext | None]:
    """Check the message and read its images; only when all of it is good, register them.
    Returns the turn, or None after an error event: a refused message changes nothing.
    ``detailed``: the user asked for a paragraph instead of one or two sentences."""
    text = text.strip()
    problem = _refusal(services.settings, text, images)
    if problem:
        yield Event("error", problem)
        return None
    read: list[tuple[Path, ImageFacts]] = []
    for n, path in enumerate(images, start=1):
        if len(images) > 1:  # several pictures take a while: say how far it got
            yield Event("status", f"Reading picture {n} of {len(images)} ({path.name})…")
        yield Event("tool_call", tool="encode_image", data={"image": path.name})
        try:
            facts = encode_image(services.encoder, path, path.name)
        except ToolError as exc:
            yield Event("error", f"{str(exc).rstrip('.')}. Nothing from this message was kept.")
            return None
        yield _facts_event(path.name, facts.describe())
        read.append((path, facts))
    memory = services.memory
    memory.touch(session_id)
    turn = TurnContext(services, session_id, text, detailed=detailed)
    for path, facts in read:
        stored = memory.add_image(session_id, path, facts.sha256, path.name)
        memory.set_labels(session_id, stored.number, [x.name for x in facts.labels])
        turn.facts[stored.image_id] = facts
        turn.new.append(stored.image_id)
    turn.images = {image.image_id: image for image in memory.images(session_id)}
    turn.history = memory.history(session_id, services.settings.history_tokens)
    return turn


def _refusal(limits: Settings, text: str, images: list[Path]) -> str | None:
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
                f"{path.name} is {size / 2**20:.1f} MB; the limit is {limits.max_upload_mb:g} MB."
            )
    return None


def _facts_event(image: str, described: str) -> Event:
    return Event("tool_result", tool="encode_image", data={"image": image, "facts": described})


def _relevant(hit: Hit, bar: float, has_images: bool, picture_bar: float) -> bool:
    """Vector matches must clear the bar. Pictures of the knowledge base (found by their
    caption, or by words) and words-only matches (an exact code, where the vector search had
    no say) count only when no image is in play: "what is in this picture?" is about the
    user's photo, and a caption that starts "A picture of" is similar to any such question."""
    if has_images and (hit.kind == "image" or hit.similarity is None):
        return False
    if hit.similarity is None:
        return True
    return hit.similarity >= (max(bar, picture_bar) if hit.kind == "image" else bar)


_REFERS_BACK = re.compile(
    r"\b(there|it|its|they|them|their|that|those|he|she|his|her)\b|^and\b", re.I
)


_ARTICLES = frozenset({"the", "and", "any", "some", "your", "our", "its", "for", "with"})


@dataclass
class TurnContext:
    """A turn under way: the session's images by id (img-1, ...), the facts read so far, the
    passages found, and the conversation before it."""

    services: Services
    session_id: str
    text: str
    images: dict[str, StoredImage] = field(default_factory=dict)
    facts: dict[str, ImageFacts] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    history: list[Turn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worked out in code, told to the model
    detailed: bool = False
    about_pictures: bool = True  # asked about the pictures in view, not only beside them
    # Whole documents' text by id, read once a turn (deciding what a follow-up asks about
    # and the answer's request both read it).
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def question(self) -> str:
        return self.text or DEFAULT_QUESTION

    def image_path(self, image_id: str) -> Path:
        """The stored file of a session image; ``ToolError`` for an id the session lacks."""
        image = self.images.get(image_id.strip())
        if image is None:
            known = ", ".join(self.images) or "none"
            raise ToolError(f"No image {image_id!r} in this conversation (it has: {known})")
        return image.path

    def read(self, image_id: str) -> ImageFacts:
        """The facts of a session image, read once per turn (and cached by content)."""
        if image_id not in self.facts:
            encoder = self.services.encoder
            self.facts[image_id] = encode_image(encoder, self.image_path(image_id), image_id)
        return self.facts[image_id]

    def look(self, image_id: str) -> Iterator[Event]:
        """Read an image the turn is about (one already read costs nothing), as events."""
        if image_id in self.facts:
            return
        yield Event("tool_call", tool="encode_image", data={"image": image_id})
        try:
            described = self.read(image_id).describe()
        except ToolError as exc:
            described = str(exc)
        yield _facts_event(image_id, described)

    def search(self, query: str, has_images: bool) -> Generator[Event, None, list[Hit]]:
        """Search when the knowledge base has documents and keep the hits similar enough. With
        images the bar is higher: perception questions should not drag in unrelated text."""
        if not self.services.knowledge.list():
            return []
        settings = self.services.settings
        bar = settings.relevance_with_images if has_images else settings.relevance
        picture_bar = settings.picture_relevance

        def select(found: list[Hit]) -> list[Hit]:
            relevant = [h for h in found if _relevant(h, bar, has_images, picture_bar)]
            return without_competitors(relevant, query, self.question)

        return (yield from self._kept(query, None, bar, select))

    def search_with_picture(self, image_id: str) -> Generator[Event, None, list[Hit]]:
        """The documents about a picture: passages found by the words printed in it (a model
        number on a sticker) and what the classifier is sure it shows, and the documents'
        pictures that look like it."""
        query = picture_query(self.facts[image_id])
        settings = self.services.settings
        found = (yield from self.search(query, False)) if query else []
        self.hits = and_alike(
            found,
            self.services.knowledge,
            self.image_path(image_id),
            settings.picture_relevance,
            settings.passages,
        )
        if self.hits:
            listed = ", ".join(f"[{n}] {h.source}" for n, h in enumerate(self.hits, start=1))
            self.notes.append(
                f'Searching the documents for the picture ("{query}") found {listed}: say which '
                "document is about it, by its title, and cite it."
            )
        return self.hits

    def document_texts(self, hits: list[Hit]) -> dict[str, str]:
        """The whole text of each document the hits come from, by id."""
        for doc_id in dict.fromkeys(h.doc_id for h in hits):
            if doc_id not in self.texts:
                self.texts[doc_id] = self.services.knowledge.document_text(doc_id)
        return {h.doc_id: self.texts[h.doc_id] for h in hits}

    def asks_documents(self, image_ids: list[str]) -> bool:
        """Is the question about the documents found, not the pictures ``image_ids``?"""
        documents = list(self.document_texts(self.hits).values())
        shown = [
            label.name
            for i in image_ids
            if i in self.facts
            for label in [*self.facts[i].labels[:3], *self.facts[i].kinds]
        ]
        return asks_documents(self.question, documents, shown)

    def search_query(self) -> str:
        """The question, with the previous one before it when it refers back ("what was
        planted in bed 6 there?" is about the garden the last question named)."""
        asked = [t.text for t in self.history if t.role == "user"]
        if asked and _REFERS_BACK.search(self.question):
            return f"{asked[-1]} {self.question}"
        return self.question

    def find_pictures(self, thing: str) -> Generator[Event, None, list[Hit]]:
        """The knowledge base's pictures that show ``thing`` (their captions clear the
        picture bar); they become this turn's passages."""
        bar = self.services.settings.picture_relevance
        words = [w for w in re.findall(r"[a-z0-9][\w-]{2,}", thing.lower()) if w not in _ARTICLES]

        def select(found: list[Hit]) -> list[Hit]:
            # A figure whose caption or printed words hold every word asked for is the one
            # asked for, however its labels read ("the wiring diagram": "Figure 3: Wiring...").
            return [
                h
                for h in found
                if (h.similarity is not None and h.similarity >= bar)
                or (words and all(re.search(rf"\b{re.escape(w)}", h.text.lower()) for w in words))
            ]

        return (yield from self._kept(thing, "image", bar, select))

    def _kept(
        self, query: str, kind: Kind | None, bar: float, select: Callable[[list[Hit]], list[Hit]]
    ) -> Generator[Event, None, list[Hit]]:
        """One search as tool events; the hits ``select`` keeps become this turn's passages."""
        services = self.services
        args: dict = {"query": query[:2000], "k": services.settings.passages}
        if kind:
            args["kind"] = kind
        yield Event("tool_call", tool="search_knowledge", data=args)
        try:
            found = search_knowledge(services.knowledge, args["query"], args["k"], kind)
        except ToolError as exc:
            yield Event("tool_result", tool="search_knowledge", data={"error": str(exc)})
            return []
        self.hits = select(found)
        summary = {"found": len(found), "kept": len(self.hits), "threshold": bar}
        yield Event("tool_result", tool="search_knowledge", data=summary)
        return self.hits

    def request(
        self, question: str, image_ids: list[str], passages: list[int] | None = None
    ) -> AnswerRequest:
        """The answering request for the named images and passages (numbers as found; None: all
        found). ``ToolError`` for an image or passage number the turn does not know."""
        if passages is None:
            chosen = list(self.hits)
        else:
            unknown = [n for n in passages if not 1 <= n <= len(self.hits)]
            if unknown:
                raise ToolError(f"No passage {unknown[0]}: the search found {len(self.hits)}")
            chosen = [self.hits[n - 1] for n in dict.fromkeys(passages)]
        sees = self.services.vlm.sees_pixels
        refs = [
            ImageRef(i, self.read(i), open_image(self.image_path(i)) if sees else None)
            for i in dict.fromkeys(image_ids)
        ]
        question = question or DEFAULT_QUESTION
        documents = self.document_texts(chosen)
        return AnswerRequest(
            question,
            refs,
            chosen,
            self.history,
            list(self.notes),
            detailed=self.detailed,
            documents=documents,
            about_pictures=self.about_pictures,
        )

    def answer(
        self, request: AnswerRequest | None, written: str = "", shown: Sequence[str] = ()
    ) -> Iterator[Event]:
        """Stream the answer through the one finishing step and keep the turn. ``request``
        goes to the fusion VLM; without one, ``written`` (the planner's own reply, about the
        images ``shown``) is used."""
        vlm = self.services.vlm
        ahead = getattr(vlm, "in_use", 0)
        if request and ahead:
            yield Event(
                "status", f"Waiting for the model: {plural(ahead, 'answer')} ahead of yours."
            )
        passages = request.passages if request else self.hits
        pieces = answer_with_vlm(vlm, request) if request else finished([written], passages)
        streamed: list[str] = []
        try:
            for piece in pieces:
                streamed.append(piece)
                yield Event("token", piece)
        except ToolError as exc:
            yield Event("error", str(exc))
            return
        text = "".join(streamed)
        used = [ref.image_id for ref in request.images] if request else list(shown)
        prompt = vlm.render(request) if request else ""
        carried = facts_carried(request) if request else ()
        sources = [
            Source(n, hit, cited=f"[{n}]" in text) for n, hit in enumerate(passages, start=1)
        ]
        if refuses(text) and not any(s.cited for s in sources):
            sources = []  # "I don't know" rests on no passage: listing what was searched misleads
        memory, sid = self.services.memory, self.session_id
        memory.add_turn(sid, "user", self.question, used, prompt, carried, uploaded=self.new)
        memory.add_turn(sid, "assistant", text, used, sources=sources)
        yield Event("answer", text, answer=Answer(text, sources, used))

    def tools(self) -> list[BaseTool]:
        """The LangChain tools bound to this turn: image ids resolve to the session's images,
        and ``answer_with_vlm`` answers with the passages this turn found."""
        services = self.services
        return [
            make_encode_image(services.encoder, resolve=self.image_path),
            make_search_knowledge(services.knowledge),
            make_answer_with_vlm(services.vlm, self.request),
        ]
