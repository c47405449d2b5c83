"""The second planner: a tool-calling chat model (an OpenAI-compatible server) plans with the
same tools through ``bind_tools`` and emits the same events as the default one.

Small models often write their tool calls as text: those are taken as calls
(``written_calls``). A reply that is neither a call nor an answer (a plan, tool JSON the parser
cannot read, nothing) gets one repair turn. After that, when the model answers in its own
words instead of through ``answer_with_vlm``, fails or runs out of steps, the deterministic
planner answers the turn, with a status saying so."""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import ValidationError

from assistant.events import Event
from assistant.findings import picture_in_base, which_shows, which_targets
from assistant.orchestrator import plan
from assistant.resolve import about_pictures, resolve
from assistant.turn import Services, TurnContext, begin_turn
from assistant.written_calls import written_calls
from knowledge_base.shelves import Shelves
from tools import ToolError, format_passages
from tools.answering.plumbing import plumbing

log = logging.getLogger(__name__)

PLANNER_PROMPT = (
    "You are the planner of Vira, an assistant for questions about the user's images. "
    "Use the tools: encode_image to look at an image, search_knowledge when the user's "
    "documents may hold the answer, and answer_with_vlm to write the final answer with the "
    "images and the numbered passages you found. Always finish with answer_with_vlm.\n"
    "Images in this conversation: {images}"
)
MAX_STEPS = 6
REPAIR = (
    "That reply was neither a tool call nor an answer for the user. Call a tool through the "
    "tool-calling interface (no JSON or tags in the text), or write the answer itself."
)
FELL_BACK = "The planner model did not plan this turn: Vira's built-in planner answered it."


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
        why = yield from _plan(turn, model, tools, messages)
        if why:
            log.warning("agent planner: %s; the deterministic planner answers the turn", why)
            yield Event("status", FELL_BACK)
            yield from plan(turn)


def _plan(turn: TurnContext, model: Any, tools: dict[str, Any], messages: list[Any]):
    """Let the model plan the turn. Returns None once answered, else why it could not."""
    repaired, searched = False, False
    for step in range(MAX_STEPS):
        try:
            reply: AIMessage = model.invoke(messages)
        except Exception as exc:  # the model's server: the turn is answered all the same
            return f"the model failed: {exc}"
        calls = list(reply.tool_calls)
        if not calls:
            calls = written_calls(str(reply.content), set(tools), first_id=10 * step + 1)
            if calls:  # the calls the model meant, so that the tool results answer them
                reply = AIMessage(content="", tool_calls=calls)
        messages.append(reply)
        if not calls:
            written = str(reply.content).strip()
            if written and not plumbing(written):
                # Its own words skip the answering model's grounding: small models echo a
                # tool's error ("No image 'img-1' …") or refuse ("I can't assist with that").
                return "it answered in its own words instead of through answer_with_vlm"
            if repaired:
                return "its reply was neither a tool call nor an answer, twice"
            repaired = True
            messages.append(HumanMessage(REPAIR))
            continue
        for call in calls:
            if call["name"] == "search_knowledge":
                messages.append((yield from _search(turn, call)))
                searched = True
                continue
            yield Event("tool_call", tool=call["name"], data=dict(call["args"]))
            if call["name"] == "answer_with_vlm":
                answered = yield from _answer(turn, call["args"], call["id"], searched)
                if answered is None:
                    return None
                messages.append(answered)
                continue
            result = _invoke(tools, call)
            messages.append(result)
            yield Event(
                "tool_result", tool=call["name"], data={"content": str(result.content)[:500]}
            )
    return f"it did not finish within {MAX_STEPS} steps"


def _invoke(tools: dict[str, Any], call: dict[str, Any]) -> ToolMessage:
    tool = tools.get(call["name"])
    if tool is None:
        return ToolMessage(f"unknown tool {call['name']}", tool_call_id=call["id"])
    try:
        return tool.invoke({**call, "type": "tool_call"})
    except ValidationError as exc:  # arguments missing or of the wrong type: the model is told
        wrong = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return ToolMessage(f"Bad arguments for {call['name']}: {wrong}", tool_call_id=call["id"])


def _targets(turn: TurnContext) -> list[str]:
    """The pictures the question is about, resolved in code as by the built-in planner (the
    pictures it names, else those just sent, else the latest): the 1.5B named the first
    receipt for "And the total on this receipt?" about the second."""
    return which_targets(turn, resolve(turn.text, list(turn.images.values()), turn.new))


def _search(turn: TurnContext, call: dict[str, Any]) -> Generator[Event, None, ToolMessage]:
    """The search the model asked for, as the built-in planner makes it: for the question
    (with the one before it when it refers back), keeping the passages similar enough (a
    higher bar for a question about the pictures). The 1.5B's own queries lost the context
    ("where is it held" found a museum's display case, not the poster's venue), and the raw
    top five dragged a cat-feeding note into "How often can I take this medicine?"."""
    pointed = about_pictures(turn.text, turn.new) and bool(_targets(turn))
    hits = yield from turn.search(turn.search_query(), pointed)
    return ToolMessage(format_passages(hits), tool_call_id=call["id"])


def _answer(turn: TurnContext, args: dict[str, Any], call_id: str, searched: bool):
    """Stream the fusion VLM's answer (the same function the tool wraps). Returns None once
    answered, or the tool message telling the model what was wrong with its arguments. The
    pictures are resolved in code, and whether the question is about them or about the
    documents found, as in the default planner. Passages asked for before any search this
    turn are searched for first."""
    image_ids = _targets(turn)
    numbers = _numbers(args.get("passages"))
    if numbers and not searched:  # small models cite passages they never looked for
        yield from turn.search(turn.search_query(), bool(image_ids))
    pointed = bool(image_ids) and about_pictures(turn.text, turn.new)
    turn.about_pictures = pointed or (bool(image_ids) and not turn.asks_documents(image_ids))
    if numbers:  # "[1, 2, 3, 4, 5]" when one was found: the ones that exist
        numbers = [n for n in numbers if 0 < n <= len(turn.hits)] or numbers
    try:
        request = turn.request(str(args.get("question") or turn.text), image_ids, numbers)
    except ToolError as exc:
        yield Event("tool_result", tool="answer_with_vlm", data={"content": str(exc)})
        return ToolMessage(str(exc), tool_call_id=call_id)
    if (yield from which_shows(turn, [ref.image_id for ref in request.images])):
        return None
    request.notes = list(turn.notes)
    yield from turn.answer(request)
    return None


def _numbers(value: Any) -> list[int] | None:
    """Passage numbers as a model wrote them (3, "3", [1, "2"], [{"id": 1}]); None for all."""
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, dict):
            item = next(iter(item.values()), None)
        if isinstance(item, int) or (isinstance(item, str) and item.strip().isdigit()):
            found.append(int(item))
    return found or None
