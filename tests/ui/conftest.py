"""One launched app for the UI tests (gradio_client and the browser), on a free port."""

from __future__ import annotations

import pytest

from assistant import Assistant, Settings
from knowledge_base import KnowledgeBase
from tests.servers import free_port
from tools.fusion.backends.composed import ComposedBackend
from tools.fusion.gguf import QWEN_CODER_1_5B
from ui import build_ui, launch


@pytest.fixture(scope="module")
def launched(request, tmp_path_factory, embedding, ocr, image_embedding):
    settings = Settings(data_dir=tmp_path_factory.mktemp("app-data"))
    knowledge = KnowledgeBase(
        settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding
    )
    vlm = ComposedBackend(QWEN_CODER_1_5B.assemble(request.config.cache.mkdir("vira-models")))
    assistant = Assistant(settings, knowledge=knowledge, vlm=vlm)
    demo = build_ui(assistant)
    port = free_port()
    launch(demo, "127.0.0.1", port, settings.max_upload_bytes, block=False)
    yield f"http://127.0.0.1:{port}/", assistant
    demo.close()


@pytest.fixture(scope="module")
def app_url(launched):
    return launched[0]
