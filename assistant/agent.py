"""The second planner: a tool-calling chat model (an OpenAI-compatible server) plans with the
same LangChain tools through ``bind_tools`` and emits the same events as the default one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from assistant.events import Event
from assistant.orchestrator import Orchestrator
from knowledge_base import Hit
from tools.fusion.prompt import ImageRef
from tools.vlm import make_answer_with_vlm

PLANNER_PROMPT = (
    "You are the planner of Vira, an assistant for questions about the user's images. "
    "Use the tools: encode_image to look at an image, search_knowledge when the user's "
    "documents may hold the answer, and answer_with_vlm to write the final answer with the "
    "images and the numbered passages you found. Always finish with answer_with_vlm.\n"
    "Images in this conversation: {images}"
)
MAX_STEPS = 6


class AgentPlanner:
    def __init__(self, orchestrator: Orchestrator, chat_model: BaseChatModel) -> None:
        self.orchestrator = orchestrator
        self.chat_model = chat_model

    def run(self, session_id: str, text: str, images: list[Path]) -> Iterator[Event]:
        o = self.orchestrator
        text = text.strip()
        if (yield from o.begin(session_id, text, images)) is None:
            return
        known = {i.image_id: i for i in o.memory.images(session_id)}
        hits: list[Hit] = []

        def image(image_id: str) -> ImageRef:
            stored = known[image_id]
            return ImageRef(image_id, o.encoder.encode(stored.path))

        history = o.history(session_id)
        tools = {
            t.name: t
            for t in (
                o.search_tool,
                o.encode_tool,
                make_answer_with_vlm(o.vlm, image, lambda: history),
            )
        }
        listing = ", ".join(f"{i} ({', '.join(s.labels[:2])})" for i, s in known.items()) or "none"
        messages: list[Any] = [
            SystemMessage(PLANNER_PROMPT.format(images=listing)),
            HumanMessage(text),
        ]
        model = self.chat_model.bind_tools(list(tools.values()))
        for _ in range(MAX_STEPS):
            reply: AIMessage = model.invoke(messages)
            messages.append(reply)
            if not reply.tool_calls:
                yield from self._finish(session_id, text, str(reply.content), hits, [])
                return
            for call in reply.tool_calls:
                tool = tools.get(call["name"])
                yield Event("tool_call", tool=call["name"], data=dict(call["args"]))
                if tool is None:
                    result = ToolMessage(f"unknown tool {call['name']}", tool_call_id=call["id"])
                else:
                    result = tool.invoke({**call, "type": "tool_call"})
                messages.append(result)
                yield Event(
                    "tool_result", tool=call["name"], data={"content": str(result.content)[:500]}
                )
                if call["name"] == "search_knowledge" and result.artifact:
                    hits = list(result.artifact)
                if call["name"] == "answer_with_vlm":
                    used = list(call["args"].get("image_ids") or [])
                    yield from self._finish(session_id, text, str(result.content), hits, used)
                    return
        yield Event("error", f"The planner did not finish within {MAX_STEPS} steps.")

    def _finish(
        self, session_id: str, text: str, answer_text: str, hits: list[Hit], used: list[str]
    ) -> Iterator[Event]:
        for word in answer_text.split(" "):
            yield Event("token", word + " ")
        answer = self.orchestrator.record(session_id, text, answer_text, hits, used)
        yield Event("answer", answer.text, answer=answer)
