"""``VIRA_VLM=fusion:<run dir>``: answers from a fusion VLM trained with
``python -m tools.fusion_vlm.train`` (its ``model/`` folder, or that folder itself). It looks at
the pixels of the turn's last image through its own vision tower and projector, and reads the
retrieved passages through its knowledge fusion, or as text before the question when it was
trained so (``"passages": "text"`` in its config)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.answering.backends.base import Occupancy
from tools.answering.errors import BackendUnavailable
from tools.answering.prompt import AnswerRequest, user_message

if TYPE_CHECKING:
    from tools.fusion_vlm.domain import Domain

MAX_ANSWER_TOKENS = 64


class FusionVLMBackend:
    sees_pixels = True
    parallel = 1

    def __init__(self, folder: Path, models_dir: Path) -> None:
        self.folder = folder / "model" if (folder / "model").is_dir() else folder
        self.models_dir = models_dir
        self.key = f"fusion-{self.folder.resolve().parent.name}"
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()  # one generation at a time on one model
        self._users = Occupancy()

    @property
    def in_use(self) -> int:
        return self._users.count

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from tools.fusion_vlm.checkpoint import load_trained

            try:
                self._loaded = load_trained(self.folder, self.models_dir)
            except (OSError, ValueError, KeyError) as exc:
                raise BackendUnavailable(f"cannot load {self.folder}: {exc}") from None
        return self._loaded

    @cached_property
    def _domain(self) -> Domain | None:
        """Read once: a run's record does not change while it is served."""
        from tools.fusion_vlm.checkpoint import trained_on

        try:
            return trained_on(self.folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackendUnavailable(f"cannot read {self.folder}: {exc}") from None

    def outside(self, request: AnswerRequest) -> str | None:
        """A picture unlike its training pictures (a photo for a model of drawn shapes) is
        declined: what it would say about it is one of its training answers, stated as fact."""
        domain = self._domain
        kind = request.images[-1].facts.image_kind if request.images else ""
        if domain is None or domain.covers(kind):
            return None
        return (
            f"I can't tell: the model answering here was trained only on {domain.said()}, "
            f"and this picture is a {kind}."
        )

    def notice(self, request: AnswerRequest) -> str:
        domain = self._domain
        trained = domain.said() if domain else "data it did not record"
        seen = "It looks at the last picture only, and not at the earlier messages."
        several = len(request.images) > 1 or bool(request.history)
        return f"Answered by a fusion model trained on {trained}." + (f" {seen}" if several else "")

    def warm_up(self) -> None:
        with self._lock:
            self._load()

    def render(self, request: AnswerRequest) -> str:
        return user_message(request)

    def stream(self, request: AnswerRequest) -> Iterator[str]:
        """The answer's words as the model produces them (generation runs in a thread that
        feeds a transformers streamer)."""
        from PIL import Image
        from transformers import TextIteratorStreamer

        from tools.fusion_vlm.data import Example, passages_as_text

        pixels = next((r.pixels for r in reversed(request.images) if r.pixels is not None), None)
        image = pixels or Image.new("RGB", (224, 224), "white")  # a text-only question
        with self._users, self._lock:
            model, encoder = self._load()
            passages = tuple(h.text for h in request.passages)
            if model.config.passages == "text":  # as it was trained: before the question
                example = Example(Path("-"), passages_as_text(request.question, passages), "")
            else:
                example = Example(Path("-"), request.question, "", passages)
            if model.config.passages == "select" and passages:  # the picture chooses one
                choice = model.pick(encoder.batch_of_images([example], [image]))[0]
                example = replace(example, chosen=choice)
            batch = encoder.batch_of_images([example], [image])
            streamer = TextIteratorStreamer(encoder.tokenizer, skip_special_tokens=True)
            eos = encoder.tokenizer.eos_token_id
            worker = threading.Thread(
                target=model.generate,
                args=(batch, MAX_ANSWER_TOKENS, eos, streamer),
                daemon=True,
            )
            worker.start()
            try:
                yield from (text for text in streamer if text)
            finally:
                worker.join()
