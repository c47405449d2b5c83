"""Starting the assistant so that a freshly started app answers its first question soon."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from assistant.settings import Settings
from tools.answering.backends.base import AnswerBackend
from tools.answering.registry import create_vlm

if TYPE_CHECKING:
    from assistant.assistant import Assistant

log = logging.getLogger(__name__)


def start(settings: Settings) -> Assistant:
    """An assistant whose models are loading: the answering model first (a llama-server
    process loads its weights and system prompt while Python imports Chroma, LangChain and
    the vision stack, about 2 s on two cores), then the rest (``Assistant.warm_up``)."""
    vlm = create_vlm(settings)
    threading.Thread(target=_warm_up, args=(vlm,), name="vira-answering", daemon=True).start()
    from assistant.assistant import Assistant  # the heavy imports, now

    assistant = Assistant(settings, vlm=vlm)
    assistant.warm_up()
    return assistant


def _warm_up(vlm: AnswerBackend) -> None:
    try:
        vlm.warm_up()
    except Exception:  # the first question loads (and reports) it again
        log.exception("starting the answering model failed")
