"""The second planner: a tool-calling chat model (an OpenAI-compatible server) plans with the
same tools through ``bind_tools`` and emits the same events as the default one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from assistant.events import Event
from assistant.findings import picture_in_base, which_shows, which_targets
from assistant.turn import Services, TurnContext, begin_turn
from knowledge_base.shelves import Shelves
from tools import ToolError

PLANNER_PROMPT = (
    "You are the planner of Vira, an assistant for questions about the user's images. "
    "Use the tools: encode_image to look at an image, search_knowledge when the user's "
    "documents may hold the answer, and answer_with_vlm to write the final answer with the "
    "images and the numbered passages you found. Always finish with answer_with_vlm.\n"
    "Images in this conversation: {images}"
)
MAX_STEPS = 6


class AgentPlanner:
    def __init__(self, services: Services, chat_model: BaseChatModel) -> None:
        self.services = services
        self.chat_model = chat_model

    def run(
        self,
        session_id: str,
        text: str,
        images: list[Path],
        knowledge: Shelves | None = None,
        detailed: bool = False,
    ) -> Iterator[Event]:
        services = self.services.reading(knowledge)
        turn = yield from begin_turn(services, session_id, text, images, detailed)
        if turn is None or (yield from picture_in_base(turn)):
            return
        tools = {t.name: t for t in turn.tools()}
        listing = ", ".join(f"{i} ({', '.join(s.labels[:2])})" for i, s in turn.images.items())
        messages: list[Any] = [
            SystemMessage(PLANNER_PROMPT.format(images=listing or "none")),
            HumanMessage(turn.text),
        ]
        model = self.chat_model.bind_tools(list(tools.values()))
        for _ in range(MAX_STEPS):
            reply: AIMessage = model.invoke(messages)
            messages.append(reply)
            if not reply.tool_calls:
                yield from turn.answer(None, written=str(reply.content))
                return
            for call in reply.tool_calls:
                yield Event("tool_call", tool=call["name"], data=dict(call["args"]))
                if call["name"] == "answer_with_vlm":
                    answered = yield from _answer(turn, call["args"], call["id"])
                    if answered is None:
                        return
                    messages.append(answered)
                    continue
                result = _invoke(tools, call)
                messages.append(result)
                if call["name"] == "search_knowledge":
                    turn.hits = list(result.artifact or [])
                yield Event(
                    "tool_result", tool=call["name"], data={"content": str(result.content)[:500]}
                )
        yield Event("error", f"The planner did not finish within {MAX_STEPS} steps.")


def _invoke(tools: dict[str, Any], call: dict[str, Any]) -> ToolMessage:
    tool = tools.get(call["name"])
    if tool is None:
        return ToolMessage(f"unknown tool {call['name']}", tool_call_id=call["id"])
    return tool.invoke({**call, "type": "tool_call"})


def _answer(turn: TurnContext, args: dict[str, Any], call_id: str):
    """Stream the fusion VLM's answer (the same function the tool wraps). Returns None once
    answered, or the tool message telling the model what was wrong with its arguments. Which
    picture shows what is worked out in code, over all the chat's pictures, as in the default
    planner."""
    image_ids = which_targets(turn, list(args.get("image_ids") or []))
    try:
        request = turn.request(str(args.get("question") or turn.text), image_ids,
                               args.get("passages"))  # fmt: skip
    except ToolError as exc:
        yield Event("tool_result", tool="answer_with_vlm", data={"content": str(exc)})
        return ToolMessage(str(exc), tool_call_id=call_id)
    if (yield from which_shows(turn, [ref.image_id for ref in request.images])):
        return None
    request.notes = list(turn.notes)
    yield from turn.answer(request)
    return None
