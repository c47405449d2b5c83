"""A visitor who leaves is forgotten while the app keeps running: their conversation, its
pictures and the documents they added go once idle for ``VIRA_SESSION_TTL_HOURS``, swept by
the running app itself (not only when it restarts)."""

from __future__ import annotations

import json
import time

import pytest
from gradio_client import Client, handle_file
from PIL import Image
from skimage import data

from assistant import Assistant, Settings
from assistant.library import shelf_name
from tests.servers import running_app
from tests.waiting import until

pytestmark = pytest.mark.slow


class Clock:
    """The wall clock as the memory and the library read it, moved forward by the test (an
    hour of idleness without an hour of waiting); everything else is the real ``time``."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)


def test_a_visitors_conversation_and_documents_expire_while_the_app_runs(
    tmp_path, loaded_kb, served_vlm, monkeypatch
):
    clock = Clock()
    monkeypatch.setattr("assistant.memory.time", clock)
    monkeypatch.setattr("assistant.library.time", clock)
    # A public Space (visitors are not signed in), sessions kept an hour, swept at most
    # every tenth of a second.
    settings = Settings(
        data_dir=tmp_path / "data", space_id="someone/vira", session_ttl_hours=1,
        sweep_seconds=0.1,
    )  # fmt: skip
    assistant = Assistant(settings, knowledge=loaded_kb(settings), vlm=served_vlm)
    diary, photo = tmp_path / "diary.md", tmp_path / "cat.png"
    diary.write_text("# Diary\n\nMy locker code is 4411.\n")
    Image.fromarray(data.chelsea()).save(photo)
    with running_app(assistant) as url:
        visitor = Client(url, verbose=False)
        visitor.predict([handle_file(str(diary))], api_name="/ingest")
        question = {"text": "What animal is this?", "files": [handle_file(str(photo))]}
        visitor.predict(question, [], api_name="/chat")
        who = assistant.access.user(visitor.session_hash)
        assert not who.is_admin and not who.name  # a visitor
        assert [d.source for d in assistant.library.list(who) if d.private] == ["diary.md"]
        registry = settings.data_dir / "shelves.json"  # read as it is: listing counts as use

        def shelves() -> set[str]:
            return set(json.loads(registry.read_text()))

        assert shelf_name(who) in shelves()
        (stored,) = assistant.memory.images(visitor.session_hash)
        assert stored.path.exists() and assistant.memory.transcript(visitor.session_hash)

        clock.offset = 3600 + 60  # an hour and a minute later the visitor has not come back
        newcomer = Client(url, verbose=False)
        newcomer.predict({"text": "Hello", "files": []}, [], api_name="/chat")  # any request

        def gone() -> bool:
            return not stored.path.exists() and shelf_name(who) not in shelves()

        # The sweep runs in the background of that request.
        until(gone, 30, "the idle visitor was never swept")
        assert assistant.memory.transcript(visitor.session_hash) == []
        assert assistant.memory.images(visitor.session_hash) == []
        assert not any(d.private for d in assistant.library.list(who))
        assert "4411" not in str(newcomer.predict("locker code", 5, api_name="/kb_search"))
        # The newcomer, active now, is kept.
        assert assistant.memory.transcript(newcomer.session_hash)
