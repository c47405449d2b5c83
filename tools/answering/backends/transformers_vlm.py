"""Any image-text-to-text model through transformers (SmolVLM, Qwen2.5-VL, Gemma 3, LLaVA, ...):
the model's own chat template, accelerate for placement, streamed with TextIteratorStreamer,
and wrapped in ``spaces.GPU`` on Hugging Face ZeroGPU."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from tools.answering.prompt import AnswerRequest, chat_messages, user_message

MAX_ANSWER_TOKENS = 384


def _zero_gpu(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``spaces.GPU`` where the ``spaces`` package exists (Hugging Face Spaces); else as is."""
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(fn)


class TransformersBackend:
    sees_pixels = True
    in_use = 0  # answers never wait for one another here
    parallel = 4

    def __init__(self, model_id: str, device: str = "auto") -> None:
        self.model_id = model_id
        self.device = device
        self.key = f"transformers-{model_id}"
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()
        self._generate = _zero_gpu(self._generate_impl)

    def warm_up(self) -> None:
        self._load()

    def render(self, request: AnswerRequest) -> str:
        return user_message(request)

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                import torch
                from transformers import AutoModelForImageTextToText, AutoProcessor

                cuda = self.device in ("auto", "cuda") and torch.cuda.is_available()
                processor = AutoProcessor.from_pretrained(self.model_id)
                model = AutoModelForImageTextToText.from_pretrained(
                    self.model_id,
                    dtype=torch.bfloat16 if cuda else torch.float32,
                    device_map="auto" if cuda else None,
                )
                self._loaded = (model.eval(), processor)
            return self._loaded

    def inputs(self, request: AnswerRequest) -> tuple[Any, Any, Any]:
        model, processor = self._load()
        images = [ref.pixels.convert("RGB") for ref in request.images if ref.pixels is not None]
        # Multimodal chat templates take a list of parts; this turn's images go with its text.
        messages: list[dict[str, Any]] = [
            {"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
            for m in chat_messages(request)
        ]
        messages[-1]["content"][:0] = [{"type": "image"} for _ in images]
        prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
        batch = processor(text=prompt, images=images or None, return_tensors="pt")
        return model, processor, batch.to(model.device)

    def _generate_impl(self, model: Any, batch: Any, streamer: Any) -> None:
        model.generate(
            **batch, streamer=streamer, max_new_tokens=MAX_ANSWER_TOKENS, do_sample=False
        )

    def stream(self, request: AnswerRequest) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        model, processor, batch = self.inputs(request)
        tokenizer = getattr(processor, "tokenizer", processor)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self._generate(model, batch, streamer)
            except BaseException as exc:  # surfaced in the caller's thread below
                failure.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, name="vira-generate", daemon=True)
        worker.start()
        for piece in streamer:
            if piece:
                yield piece
        worker.join()
        if failure:
            raise failure[0]
