"""The ``answer_with_vlm`` tool: the fusion VLM as a LangChain tool with a typed schema.

The deterministic planner streams from the backend directly (token events); an LLM planner
calls this tool, which returns the whole answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from knowledge_base.errors import KnowledgeBaseError
from tools.fusion.backends.base import FusionBackend
from tools.fusion.errors import BackendUnavailable
from tools.fusion.prompt import FusionRequest, ImageRef, Passage, Turn


class PassageInput(BaseModel):
    number: int = Field(ge=1, description="The passage's number, as cited: [1], [2], ...")
    text: str = Field(description="The passage text.")
    source: str = Field("", description="Where it came from, e.g. manual.pdf, p. 3.")


class AnswerWithVlmInput(BaseModel):
    question: str = Field(description="The user's question, as asked.")
    image_ids: list[str] = Field(
        default_factory=list, description="Session images the question is about, e.g. img-1."
    )
    passages: list[PassageInput] = Field(
        default_factory=list, description="Numbered passages from search_knowledge, if any."
    )


def make_answer_with_vlm(
    backend: FusionBackend,
    image: Callable[[str], ImageRef],
    history: Callable[[], list[Turn]] = list,
) -> StructuredTool:
    """Bind the tool to a backend, a resolver of session image ids and the session history."""

    def answer_with_vlm(
        question: str, image_ids: list[str] | None = None, passages: list | None = None
    ) -> tuple[str, FusionRequest | None]:
        """Answer the user's question about their images, using the given numbered passages
        as reference (cited as [n]) and the conversation so far. Use it last, once the
        images and any needed passages are known."""
        try:
            request = FusionRequest(
                question=question,
                images=[image(i) for i in image_ids or []],
                passages=[
                    Passage(p.number, p.text, p.source)
                    if isinstance(p, PassageInput)
                    else Passage(**p)
                    for p in passages or []
                ],
                history=history(),
            )
        except (KeyError, KnowledgeBaseError) as exc:
            return f"Cannot answer: unknown image {exc}", None
        try:
            return "".join(backend.stream(request)).strip(), request
        except BackendUnavailable as exc:
            return f"The answering model is unavailable: {exc}", request

    return StructuredTool.from_function(
        answer_with_vlm,
        description=inspect.cleandoc(answer_with_vlm.__doc__ or ""),
        args_schema=AnswerWithVlmInput,
        response_format="content_and_artifact",
    )
