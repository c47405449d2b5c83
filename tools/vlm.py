"""``answer_with_vlm``: the fusion VLM's answer, streamed through the one finishing step."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from tools.answering.backends.base import AnswerBackend, TrainedForADomain
from tools.answering.errors import BackendUnavailable
from tools.answering.finish import finished
from tools.answering.grounding import grounded
from tools.answering.honesty import cant_tell, fuller, honest
from tools.answering.prompt import AnswerRequest
from tools.answering.read_out import read_out
from tools.errors import ToolError
from tools.langchain_tool import langchain_tool


def answer_with_vlm(backend: AnswerBackend, request: AnswerRequest) -> Iterator[str]:
    """The answer as it streams, citations checked and specifics grounded (what this yields
    is the whole answer).
    Raises ``ToolError`` when the model is unavailable."""
    sees = backend.sees_pixels
    said = read_out(request, sees)
    if said:
        yield said  # the picture's words, as read: no model is asked
        remember = getattr(backend, "remember", None)
        if remember is not None:  # ... but it reads the turn, for the follow-up's sake
            remember(request)
        return
    refusal = cant_tell(request, sees)
    trained = isinstance(backend, TrainedForADomain)
    if trained and not refusal:
        refusal = backend.outside(request)
    if refusal:
        yield refusal  # the facts, or the model's training, cannot settle it: no model is asked
        return
    try:
        answer = honest(finished(backend.stream(request), request.passages), request, sees)
        checked = grounded(answer, request, sees)
        yield from checked if sees else fuller(checked, request)
    except BackendUnavailable as exc:
        raise ToolError(f"The answering model is unavailable: {exc}") from None
    if trained:
        yield f"\n\n*{backend.notice(request)}*"


class AnswerWithVlmInput(BaseModel):
    question: str = Field(description="The user's question, as asked.")
    image_ids: list[str] = Field(
        default_factory=list, description="Session images the question is about, e.g. img-1."
    )
    passages: list[int] | None = Field(
        None,
        description="Numbers of the passages from search_knowledge to answer with, as it "
        "numbered them; leave out to use all it found.",
    )


#: Builds the request from the tool's arguments: (question, image ids, passage numbers).
RequestBuilder = Callable[[str, list[str], list[int] | None], AnswerRequest]


def make_answer_with_vlm(backend: AnswerBackend, request_for: RequestBuilder) -> StructuredTool:
    """The LangChain tool; ``request_for`` knows the session (its images, the passages found,
    the history) and raises ``ToolError`` for an image or passage it does not know."""

    def answer(
        question: str, image_ids: list[str] | None = None, passages: list[int] | None = None
    ) -> tuple[str, AnswerRequest]:
        """Answer the user's question about their images, using the passages found by
        search_knowledge (cited as [n]) and the conversation so far. Use it last, once the
        images and any needed passages are known."""
        request = request_for(question, image_ids or [], passages)
        return "".join(answer_with_vlm(backend, request)), request

    return langchain_tool("answer_with_vlm", AnswerWithVlmInput, answer)
