"""Any OpenAI-compatible chat-completions server: vLLM, TGI, llama.cpp server, Ollama."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator
from typing import Any

from PIL import Image

from tools.answering.errors import BackendUnavailable
from tools.answering.prompt import AnswerRequest, chat_messages, user_message

log = logging.getLogger(__name__)

MAX_IMAGE_SIDE = 1024
MAX_ANSWER_TOKENS = 512


def data_url(image: Image.Image) -> str:
    copy = image.convert("RGB")
    copy.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


class OpenAIBackend:
    """``send_images=False`` is for text-only models: they get the image facts as text."""

    in_use = 0  # answers never wait for one another here
    parallel = 16  # a remote server batches; the chat need not hold answers back

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None = None,
        send_images: bool = True,
        timeout_s: float = 120.0,
        retries: int = 2,
        rules_again: bool = False,
        request_options: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.api_key = api_key or "not-needed"  # local servers accept any key
        self.sees_pixels = send_images
        self.timeout_s = timeout_s
        self.retries = retries
        self.rules_again = rules_again
        #: Sent with every request (``max_tokens``, ``stop``, server-specific ``extra_body``).
        self.request_options = {"max_tokens": MAX_ANSWER_TOKENS, **(request_options or {})}
        self.key = f"openai-{model}@{base_url}"
        self._client: Any = None

    @property
    def client(self):  # noqa: ANN201 - openai.OpenAI, imported lazily
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                base_url=self.base_url,
                api_key=self.api_key,
                timeout=self.timeout_s,
                max_retries=self.retries,
            )
        return self._client

    def warm_up(self) -> None:
        """Nothing to load here: the server holds the model."""

    def render(self, request: AnswerRequest) -> str:
        return user_message(request, self.rules_again)

    def messages(self, request: AnswerRequest) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = chat_messages(request, self.rules_again)
        pixels = [ref.pixels for ref in request.images if ref.pixels is not None]
        if self.sees_pixels and pixels:  # else plain text: what text-only servers expect
            text = messages[-1]["content"]
            messages[-1]["content"] = [{"type": "text", "text": text}] + [
                {"type": "image_url", "image_url": {"url": data_url(image)}} for image in pixels
            ]
        return messages

    def stream(self, request: AnswerRequest, **overrides: Any) -> Iterator[str]:
        """``overrides`` replace ``request_options`` for this request only."""
        return self.complete(self.messages(request), **overrides)

    def complete(self, messages: list[dict[str, Any]], **overrides: Any) -> Iterator[str]:
        """Stream the reply to ``messages``, as ``stream`` does for a request's."""
        import openai

        try:
            stream = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                stream=True,
                temperature=0.0,
                **{**self.request_options, **overrides},
            )
            completions = 0
            # Leaving the block closes the connection, also when the reader stops early (the
            # user pressed Stop): the server then cancels the generation and frees its slot.
            with stream:
                for chunk in stream:
                    _log_timings(chunk)
                    if not getattr(chunk, "choices", None):
                        continue
                    completions += 1
                    piece = chunk.choices[0].delta.content
                    if piece:
                        yield piece
            if not completions:  # e.g. a 200 with an HTML page: no event ever parsed
                raise ValueError("no completion chunks")
        except openai.APITimeoutError:
            raise BackendUnavailable(
                f"the model server at {self.base_url} did not answer within {self.timeout_s:.0f} s"
            ) from None
        except openai.APIConnectionError:
            raise BackendUnavailable(f"cannot reach the model server at {self.base_url}") from None
        except openai.APIStatusError as exc:
            raise BackendUnavailable(
                f"the model server answered HTTP {exc.status_code}: {_first_line(exc.message)}"
            ) from None
        except (openai.APIError, ValueError, KeyError, AttributeError) as exc:
            raise BackendUnavailable(
                f"the model server at {self.base_url} sent a response that is not an "
                f"OpenAI-compatible chat completion ({type(exc).__name__})"
            ) from None


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "no message"
    return line[:200]


def _log_timings(chunk: Any) -> None:
    """llama-server's own timings of a request (its last chunk carries them): how many prompt
    tokens it read and how long that took, for ``bench/photo_profile.py``."""
    timings = (getattr(chunk, "model_extra", None) or {}).get("timings")
    if timings:
        log.debug(
            "prefill %s tokens in %.0f ms, %s tokens decoded in %.0f ms",
            timings.get("prompt_n"), timings.get("prompt_ms", 0.0),
            timings.get("predicted_n"), timings.get("predicted_ms", 0.0),
        )  # fmt: skip
