"""The offline default: image facts + passages + history -> a packaged small LLM (llama.cpp).

The model never sees pixels; the image encoder's facts (labels, OCR text, colours) stand in
for them. llama.cpp keeps the KV state of the longest shared prompt prefix (a follow-up's
prompt starts with the previous turn's prompt and answer), and a RAM cache keeps the states of
other sessions' conversations, so a turn pays only for its own tokens.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from tools.answering.backends.base import Occupancy
from tools.answering.errors import BackendUnavailable
from tools.answering.prompt import AnswerRequest, chat_messages, user_message
from tools.gguf import QWEN_CODER_1_5B, PackagedGguf

MAX_ANSWER_TOKENS = 256
CONTEXT_TOKENS = 4096
PROMPT_CACHE_BYTES = 512 * 2**20


class ComposedBackend:
    sees_pixels = False
    parallel = 1  # one llama.cpp context: answers wait for one another

    def __init__(
        self,
        model: PackagedGguf | Path = QWEN_CODER_1_5B,
        models_dir: Path = Path("data/models"),
        threads: int | None = None,
        rules_again: bool = False,
    ) -> None:
        self.model = model
        self.models_dir = models_dir
        self.threads = threads or max(1, min(8, os.cpu_count() or 1))
        self.rules_again = rules_again
        name = model.filename if isinstance(model, PackagedGguf) else Path(model).name
        self.key = f"composed-{name}"
        self._llm = None
        self._lock = threading.Lock()  # one llama.cpp context: one generation at a time
        self._users = Occupancy()  # generations running or waiting (for a "busy" note)

    def model_path(self) -> Path:
        """The GGUF file (a packaged model is assembled from its packages the first time)."""
        if isinstance(self.model, PackagedGguf):
            return self.model.assemble(self.models_dir)
        return Path(self.model)

    def _load(self):
        if self._llm is None:
            from llama_cpp import Llama

            from tools.answering.backends.prompt_cache import PromptStateCache

            try:
                path = self.model_path()
                llm = Llama(
                    model_path=str(path),
                    n_ctx=CONTEXT_TOKENS,
                    n_threads=self.threads,
                    n_batch=512,
                    verbose=False,
                )
            except (OSError, ValueError, RuntimeError) as exc:
                raise BackendUnavailable(f"cannot load {self.key}: {exc}") from None
            llm.set_cache(PromptStateCache(capacity_bytes=PROMPT_CACHE_BYTES))
            self._llm = llm
        return self._llm

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def cached_tokens(self) -> int:
        """Tokens whose state the context holds now (the system prompt, after a warm-up)."""
        return self._llm.n_tokens if self._llm is not None else 0

    @property
    def prompt_cache(self):  # noqa: ANN201 - PromptStateCache, imported with llama_cpp
        """The saved prompt states of other conversations (None until the model loads)."""
        return self._llm.cache if self._llm is not None else None

    def warm_up(self) -> None:
        """Load the model and compute the system prompt's state, which every chat starts with."""
        with self._lock:
            llm = self._load()
            messages = chat_messages(AnswerRequest("Hello"), self.rules_again)
            llm.create_chat_completion(messages, max_tokens=1, temperature=0.0)

    def render(self, request: AnswerRequest) -> str:
        return user_message(request, self.rules_again)

    @property
    def in_use(self) -> int:
        return self._users.count

    def stream(self, request: AnswerRequest) -> Iterator[str]:
        with self._users:
            yield from self._generate(request)

    def _generate(self, request: AnswerRequest) -> Iterator[str]:
        with self._lock:
            llm = self._load()
            for chunk in llm.create_chat_completion(
                chat_messages(request, self.rules_again),
                stream=True,
                temperature=0.0,
                repeat_penalty=1.0,
                max_tokens=MAX_ANSWER_TOKENS,
                stop=["<|im_end|>", "<|endoftext|>"],
            ):
                piece = chunk["choices"][0]["delta"].get("content") or ""
                if piece:
                    yield piece
