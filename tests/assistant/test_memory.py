"""Session memory: bounded history, image registry by content, expiry with file deletion."""

from __future__ import annotations

import time

from PIL import Image

from assistant.memory import OMITTED, Memory


def test_history_is_bounded_with_a_visible_marker(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    for n in range(50):
        memory.add_turn("s", "user", f"question {n} " + "x" * 200, [])
    history = memory.history("s", budget_tokens=300)
    assert history[0].text == OMITTED and history[0].role == "system"
    assert history[-1].text.startswith("question 49")
    assert 2 <= len(history) < 10


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


def test_expired_sessions_lose_turns_images_and_files(tmp_path):
    memory = Memory(tmp_path, ttl_s=0.2)
    src = tmp_path / "a.png"
    Image.new("RGB", (8, 8), "red").save(src)
    memory.touch("old")
    stored = memory.add_image("old", src, "cd" * 32, "a.png")
    memory.add_turn("old", "user", "hi", [])
    time.sleep(0.3)
    memory.touch("fresh")
    assert memory.expire() == ["old"]
    assert memory.images("old") == [] and memory.history("old", 1000) == []
    assert not stored.path.exists()
    assert memory.expire() == []


def test_odd_session_ids_are_safe_folder_names(tmp_path):
    memory = Memory(tmp_path, ttl_s=3600)
    folder = memory.folder("../../etc/passwd")
    assert folder.parent == memory.root and "/" not in folder.name
