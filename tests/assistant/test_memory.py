"""Session memory: bounded history, image registry by content, expiry with file deletion."""

from __future__ import annotations

import itertools
import sqlite3
import time
from types import SimpleNamespace

from PIL import Image

from assistant.events import Source
from assistant.memory import OMITTED, UNTITLED, Memory, turn_tokens
from knowledge_base import Hit
from tests.factories import passage


def test_history_is_bounded_with_a_visible_marker(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    for n in range(50):
        memory.add_turn("s", "user", f"question {n} " + "x" * 200, [])
    history = memory.history("s", budget_tokens=300)
    assert history[0].text == OMITTED and history[0].role == "system"
    assert history[-1].text.startswith("question 49")
    assert 2 <= len(history) < 10


def test_history_start_jumps_by_half_the_budget_so_the_prompt_prefix_stays_cached(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    starts = []
    for n in range(120):
        memory.add_turn("s", "user" if n % 2 == 0 else "assistant", f"turn {n} " + "x" * 90, [])
        history = memory.history("s", budget_tokens=500)
        kept = [t for t in history if t.role != "system"]
        assert sum(turn_tokens(t) for t in kept) <= 500 and kept[-1].text.startswith(f"turn {n} ")
        assert (history[0].text == OMITTED) == (kept[0].text != "turn 0 " + "x" * 90)
        starts.append(int(kept[0].text.split()[1]))
    moves = [(n, b) for n, (a, b) in enumerate(itertools.pairwise(starts), start=1) if b != a]
    # About 27 tokens a turn: the start moves once per ~250 tokens of chat (9-10 turns)...
    assert 8 <= len(moves) <= 120 // 8
    # ...and right after a jump about half the budget is kept (turn n is the newest).
    for n, start in moves:
        assert (n + 1 - start) * 27 <= 250 + 2 * 27, (n, start)


def test_turns_keep_the_prompt_the_model_got(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    memory.add_turn("s", "user", "What is it?", ["img-1"], "Image facts: ...", ("img-1",))
    (turn,) = memory.history("s", 1000)
    assert (turn.prompt, turn.facts_of, turn.images) == ("Image facts: ...", ("img-1",), ("img-1",))
    assert turn_tokens(turn) == len("Image facts: ...") // 4 + 4


def test_a_database_from_the_first_release_gets_the_new_columns(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    with sqlite3.connect(folder / "memory.sqlite3") as old:
        old.execute(
            "CREATE TABLE turns (session_id TEXT, number INTEGER, role TEXT, text TEXT, "
            "images TEXT, created REAL, PRIMARY KEY (session_id, number))"
        )
        old.execute("INSERT INTO turns VALUES ('s', 1, 'user', 'old question', '[]', 0)")
    memory = Memory(tmp_path, ttl_s=3600)
    memory.add_turn("s", "assistant", "new answer", [])
    history = memory.history("s", 1000)
    assert [(t.text, t.prompt) for t in history] == [("old question", ""), ("new answer", "")]


def test_a_database_without_owners_and_titles_gets_them_on_open(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    with sqlite3.connect(folder / "memory.sqlite3") as old:
        old.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, created REAL, last_seen REAL)")
        old.execute("INSERT INTO sessions VALUES ('s', 0, 0)")
        old.execute(
            "CREATE TABLE turns (session_id TEXT, number INTEGER, role TEXT, text TEXT, "
            "images TEXT, created REAL, PRIMARY KEY (session_id, number))"
        )
        old.execute("INSERT INTO turns VALUES ('s', 1, 'user', 'old question', '[]', 0)")
        old.execute("INSERT INTO turns VALUES ('s', 2, 'assistant', 'old answer', '[]', 0)")
    memory = Memory(tmp_path, ttl_s=3600)
    assert memory.claim("s", "browser:b1")
    (exchange,) = memory.transcript("s")
    assert (exchange.question, exchange.answer.text, exchange.answer.sources) == (
        "old question", "old answer", [],
    )  # fmt: skip
    assert [c.title for c in memory.conversations("browser:b1")] == ["old question"]


def _hit(n: int) -> Hit:
    return passage(f"Passage {n} text.", f"doc{n}.md", page=n, id=f"h{n}", doc_id=f"d{n}",
                   heading="Care", similarity=0.6, private=n == 2)  # fmt: skip


def test_a_transcript_keeps_each_answers_sources_and_the_pictures_sent_with_it(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    src = tmp_path / "a.png"
    Image.new("RGB", (8, 8), "red").save(src)
    memory.add_image("s", src, "ab" * 32, "a.png")
    memory.add_turn("s", "user", "What is it?", ["img-1"], uploaded=["img-1"])
    sources = [Source(1, _hit(1), cited=True), Source(2, _hit(2))]
    memory.add_turn("s", "assistant", "A red square [1].", ["img-1"], sources=sources)
    memory.add_turn("s", "user", "And its colour?", ["img-1"])
    memory.add_turn("s", "assistant", "Red.", ["img-1"])
    first, second = memory.transcript("s")
    assert first.question == "What is it?" and [i.name for i in first.uploaded] == ["a.png"]
    assert first.answer.sources == sources  # every field, the cited mark and the shelf too
    assert first.answer.images_used == ["img-1"]
    assert (second.question, second.uploaded, second.answer.sources) == ("And its colour?", (), [])


def test_conversations_are_listed_per_owner_latest_first_and_titled(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    long_question = (
        "Which of these three receipts from the bakery on Main Street is the oldest one?"
    )
    for sid, owner, question in [
        ("c1", "browser:b1", "What animal is this?"), ("c2", "browser:b1", long_question),
        ("c3", "user:ada", "Whose is it?"),
    ]:  # fmt: skip
        assert memory.claim(sid, owner)
        memory.touch(sid)
        memory.add_turn(sid, "user", question, [])
        memory.add_turn(sid, "assistant", "An answer.", [])
        time.sleep(0.01)
    assert memory.claim("c4", "browser:b1")  # claimed, nothing asked yet: not listed
    listed = memory.conversations("browser:b1")
    assert [c.id for c in listed] == ["c2", "c1"]
    assert listed[0].title.endswith("…") and len(listed[0].title) <= 60
    assert long_question.startswith(listed[0].title[:-1])
    assert listed[1].title == "What animal is this?"
    assert [c.id for c in memory.conversations("user:ada")] == ["c3"]
    assert memory.conversations("browser:nobody") == []
    memory.rename("c1", "  The   cat  ")
    assert [c.title for c in memory.conversations("browser:b1")] == [listed[0].title, "The cat"]
    assert UNTITLED == "New conversation"


def test_a_conversation_cannot_be_claimed_by_another_owner(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    memory.touch("c1")  # a session from before owners (or an API client's): anyone's first
    assert memory.claim("c1", "browser:b1") and memory.claim("c1", "browser:b1")
    assert not memory.claim("c1", "browser:b2") and not memory.claim("c1", "user:eve")
    assert memory.conversations("browser:b2") == []


def test_deleting_a_conversation_removes_its_turns_images_and_files(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    src = tmp_path / "a.png"
    Image.new("RGB", (8, 8), "red").save(src)
    memory.claim("c1", "browser:b1")
    stored = memory.add_image("c1", src, "ef" * 32, "a.png")
    memory.add_turn("c1", "user", "hi", ["img-1"], uploaded=["img-1"])
    memory.add_turn("c1", "assistant", "hello", ["img-1"])
    memory.claim("c2", "browser:b1")
    memory.add_turn("c2", "user", "other", [])
    memory.add_turn("c2", "assistant", "kept", [])
    memory.delete("c1")
    assert not stored.path.exists() and memory.images("c1") == [] and memory.transcript("c1") == []
    assert [c.id for c in memory.conversations("browser:b1")] == ["c2"]
    assert memory.claim("c1", "browser:b2")  # the id is free again: nothing of it is left


def test_same_image_twice_keeps_its_id_and_sessions_are_separate(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    src = tmp_path / "a.png"
    Image.new("RGB", (8, 8), "red").save(src)
    first = memory.add_image("s1", src, "ab" * 32, "a.png")
    again = memory.add_image("s1", src, "ab" * 32, "a.png")
    other = memory.add_image("s2", src, "ab" * 32, "a.png")
    assert first.image_id == again.image_id == other.image_id == "img-1"
    assert first.path != other.path and first.path.is_file()
    assert len(memory.images("s1")) == 1


def test_expired_sessions_lose_turns_images_and_files(tmp_path, monkeypatch):
    clock = [1_000_000.0]  # the memory's clock, moved by the test
    monkeypatch.setattr("assistant.memory.time", SimpleNamespace(time=lambda: clock[0]))
    memory = Memory(tmp_path, ttl_s=60)
    src = tmp_path / "a.png"
    Image.new("RGB", (8, 8), "red").save(src)
    memory.touch("old")
    stored = memory.add_image("old", src, "cd" * 32, "a.png")
    memory.add_turn("old", "user", "hi", [])
    clock[0] += 59
    assert memory.expire() == []  # idle, but not for long enough
    clock[0] += 2
    memory.touch("fresh")
    assert memory.expire() == ["old"]
    assert memory.images("old") == [] and memory.history("old", 1000) == []
    assert not stored.path.exists()
    assert memory.expire() == []


def test_odd_session_ids_are_safe_folder_names(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    folder = memory.folder("../../etc/passwd")
    assert folder.parent == memory.root and "/" not in folder.name
