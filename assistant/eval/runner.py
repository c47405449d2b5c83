"""Run a dataset's conversations through an ``Assistant`` and score every answer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

from assistant.agent import FELL_BACK
from assistant.assistant import Assistant
from assistant.eval.dataset import Conversation, GoldTurn
from assistant.eval.metrics import Scored


def ingest_documents(assistant: Assistant, conversations: list[Conversation]) -> list[str]:
    """Put every document the dataset names into the knowledge base (one shared base, as
    users have it); returns the failures as 'file: reason' lines."""
    documents = sorted({d for c in conversations for d in c.documents})
    if not documents:
        return []
    report = assistant.knowledge.ingest(documents)
    return [f"{Path(r.path).name}: {r.reason}" for r in report.files if r.status == "failed"]


def run(
    assistant: Assistant,
    conversations: list[Conversation],
    progress: Callable[[Scored], None] = lambda scored: None,
) -> list[Scored]:
    scored = []
    for conversation in conversations:
        session = assistant.session(f"eval-{uuid.uuid4().hex[:12]}")
        for position, turn in enumerate(conversation.turns):
            result = ask(session, conversation.id, position, turn)
            progress(result)
            scored.append(result)
    return scored


def ask(session, conversation: str, position: int, turn: GoldTurn) -> Scored:  # noqa: ANN001 - a Session
    start = time.perf_counter()
    answer, errors, fell_back = None, [], False
    for event in session.ask(turn.question, images=list(turn.images)):
        if event.kind == "answer":
            answer = event.answer
        elif event.kind == "error":
            errors.append(event.text)
        elif event.kind == "status" and event.text == FELL_BACK:
            fell_back = True
    seconds = time.perf_counter() - start
    if answer is None:
        return Scored(conversation, position, turn, "", "; ".join(errors) or "no answer")
    return Scored(
        conversation,
        position,
        turn,
        answer.text,
        sources=[Path(s.hit.source).name for s in answer.sources],
        cited=[s.hit.text for s in answer.sources if s.cited],
        seconds=seconds,
        fell_back=fell_back,
    )
