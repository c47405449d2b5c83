"""The composed model served by llama-server: many users' answers decoded together.

Same prompt, same model, same greedy decoding as the in-process ``ComposedBackend``; the
difference is who runs it. The app starts the server on first use (or at warm-up), restarts it
if it has died, and falls back to the in-process backend with a log line when it cannot start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from tools.fusion.backends.base import Occupancy
from tools.fusion.backends.composed import MAX_ANSWER_TOKENS, ComposedBackend
from tools.fusion.backends.llama_server import LlamaServer, ServerOptions
from tools.fusion.backends.openai_compat import OpenAIBackend
from tools.fusion.errors import BackendUnavailable
from tools.fusion.prompt import FusionRequest, user_message

log = logging.getLogger(__name__)

STOP = ["<|im_end|>", "<|endoftext|>"]


class ServedBackend:
    def __init__(
        self,
        fallback: ComposedBackend,
        binary: Path,
        options: ServerOptions,
        log_path: Path,
    ) -> None:
        self.fallback = fallback
        self.options = options
        self.sees_pixels = options.mmproj is not None
        self.key = f"served-{fallback.key}"
        self.rules_again = fallback.rules_again
        self.binary = binary
        self.log_path = log_path
        self.server: LlamaServer | None = None
        self.fell_back = False
        self._client: OpenAIBackend | None = None
        self._active = Occupancy()

    @property
    def parallel(self) -> int:
        """Answers generated at once."""
        return self.fallback.parallel if self.fell_back else self.options.slots

    @property
    def in_use(self) -> int:
        """Answers that must finish before a new one gets a slot."""
        if self.fell_back:
            return self.fallback.in_use
        return max(0, self._active.count - self.options.slots + 1)

    def render(self, request: FusionRequest) -> str:
        return user_message(request, self.rules_again)

    def warm_up(self) -> None:
        """Start the server and compute the system prompt's state, which every chat starts
        with (or warm up the in-process model when the server cannot start)."""
        client = self._ready()
        if client is None:
            self.fallback.warm_up()
            return
        for _ in client.stream(FusionRequest("Hello")):
            break

    def stream(self, request: FusionRequest) -> Iterator[str]:
        client = self._ready()
        if client is None:
            yield from self.fallback.stream(request)
            return
        with self._active:
            streamed = False
            try:
                for piece in client.stream(request):
                    streamed = True
                    yield piece
            except BackendUnavailable:
                if streamed or self.server is None or self.server.running:
                    raise
                # The server died before answering: start it again and ask once more.
                log.warning("llama-server died during a request; starting it again")
                client = self._ready()
                yield from (client or self.fallback).stream(request)

    def _ready(self) -> OpenAIBackend | None:
        """A client of a healthy server, or None when answering in-process instead."""
        if self.fell_back:
            return None
        try:
            if self.server is None:
                model = self.fallback.model_path()
                self.server = LlamaServer(self.binary, model, self.options, self.log_path)
            url = self.server.ensure()
        except (BackendUnavailable, OSError, ValueError) as exc:
            log.warning("llama-server is unavailable (%s); answering in-process instead", exc)
            self.fell_back = True
            return None
        if self._client is None or self._client.base_url != url:
            self._client = OpenAIBackend(
                "default",
                url,
                self.server.api_key,
                send_images=self.sees_pixels,
                timeout_s=600.0,  # a long queue is not a dead server
                retries=0,
                rules_again=self.rules_again,
                request_options={
                    "max_tokens": MAX_ANSWER_TOKENS,
                    "stop": STOP,
                    # The slot's prompt cache is what makes a follow-up cheap.
                    "extra_body": {"cache_prompt": True, "repeat_penalty": 1.0},
                },
            )
        return self._client

    def close(self) -> None:
        """Stop the server (it is stopped at exit anyway)."""
        if self.server is not None:
            self.server.stop()
