"""Hostile input through the Python API and through Gradio's API: every case gets a clear
one-line message (or, for odd but valid input, an answer), nothing crashes, and the
knowledge base and the session's memory are left as they were."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from gradio_client import Client, handle_file

from tests.app_clients import chat_text
from tests.reliability.conftest import kb_state
from tests.reliability.hostile import CHAT_CASES, DOCUMENT_CASES

pytestmark = pytest.mark.slow
GRADIO_CHAT = [name for name, case in CHAT_CASES.items() if case.gradio]
GRADIO_DOCUMENTS = [name for name, case in DOCUMENT_CASES.items() if not case.settings]


def _assert_clear(message: str, pattern: str, tmp_path) -> None:
    assert re.search(pattern, message), message
    assert "Traceback" not in message and str(tmp_path) not in message and " at 0x" not in message
    assert len(message) < 300


@pytest.mark.parametrize("name", list(CHAT_CASES))
def test_chat_through_the_python_api(name, launched, tmp_path):
    case, assistant = CHAT_CASES[name], launched[1]
    session = assistant.session(f"hostile-{uuid.uuid4().hex[:8]}")
    knowledge = kb_state(assistant.knowledge)
    events = list(session.ask(case.text, images=case.images(tmp_path)))
    errors = [e.text for e in events if e.kind == "error"]
    answers = [e for e in events if e.kind == "answer"]
    if case.expect is None:
        assert not errors and len(answers) == 1 and answers[0].text.strip()
    else:
        assert len(errors) == 1 and not answers, events
        _assert_clear(errors[0], case.expect, tmp_path)
        assert session.images() == [] and assistant.memory.history(session.id, 10**6) == []
    assert kb_state(assistant.knowledge) == knowledge


@pytest.mark.parametrize("name", GRADIO_CHAT)
def test_chat_through_gradio(name, launched, tmp_path):
    case, (url, assistant) = CHAT_CASES[name], launched
    client = Client(url, verbose=False)
    knowledge = kb_state(assistant.knowledge)
    files = [handle_file(str(p)) for p in case.images(tmp_path)]
    history, _, _, gallery, _ = client.predict(
        {"text": case.text, "files": files}, [], api_name="/chat"
    )
    reply = chat_text(history[-1])
    if case.expect is None:
        assert reply.strip() and "⚠️" not in reply, reply
    else:
        assert "⚠️" in reply
        _assert_clear(reply.split("⚠️")[-1], case.expect, tmp_path)
        assert gallery == [] and assistant.memory.images(client.session_hash) == []
        assert assistant.memory.history(client.session_hash, 10**6) == []
    assert kb_state(assistant.knowledge) == knowledge


def test_lone_surrogates_sent_as_raw_json_through_gradio(launched):
    url = launched[0]
    body = '{"data": [{"text": "What is \\ud800 this \\udfff?", "files": []}, []]}'
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=url, timeout=120) as http:
        event = http.post("/gradio_api/call/chat", content=body, headers=headers).json()
        stream = http.get(f"/gradio_api/call/chat/{event['event_id']}").text
    assert "event: complete" in stream and "event: error" not in stream, stream[-500:]


@pytest.mark.parametrize("name", list(DOCUMENT_CASES))
def test_document_through_the_python_api(name, make_kb, tmp_path):
    case = DOCUMENT_CASES[name]
    kb = make_kb(max_pages=2000, **case.settings)
    (tmp_path / "keep.md").write_text("# Keep\n\nThe harbour ferry leaves at 9:10.")
    kb.ingest([tmp_path / "keep.md"])
    before = kb_state(kb)
    (result,) = kb.ingest([case.build(tmp_path)]).files
    if case.expect is None:
        assert result.status == "added", result
        assert len(kb.list()) == 2
    else:
        assert result.status == "failed"
        _assert_clear(result.reason, case.expect, tmp_path)
        assert kb_state(kb) == before


@pytest.mark.parametrize("name", GRADIO_DOCUMENTS)
def test_document_through_gradio(name, launched, tmp_path):
    case, (url, assistant) = DOCUMENT_CASES[name], launched
    client = Client(url, verbose=False)
    knowledge = kb_state(assistant.knowledge)
    statuses, _ = client.predict([handle_file(str(case.build(tmp_path)))], api_name="/ingest")
    (row,) = statuses["data"]
    if case.expect is None:
        assert row[1] == "added", row
        history, *_ = client.predict(
            {"text": "When does the staff canteen open?", "files": []}, [], api_name="/chat"
        )
        answer = chat_text(history[-1])
        assert "11:45" in answer and "HACKED" not in answer.upper(), answer
    else:
        assert row[1] == "failed", row
        _assert_clear(row[2], case.expect, tmp_path)
        assert kb_state(assistant.knowledge) == knowledge
