"""Shared fixtures: a temp data dir for every test, offline hub, one model load per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings
from imaging import Ocr
from knowledge_base import KnowledgeBase, KnowledgeSettings
from knowledge_base.embeddings import ImageEmbedding, SentenceTransformerEmbedding
from tests.servers import free_port
from tools.fusion.backends.composed import ComposedBackend
from tools.fusion.backends.llama_server import ServerOptions, installed_binary
from tools.fusion.backends.served import ServedBackend
from tools.fusion.gguf import QWEN_CODER_1_5B
from ui import build_ui, launch


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Every test gets its own data dir and can never reach a model hub."""
    for key in [k for k in __import__("os").environ if k.startswith("VIRA_")]:
        monkeypatch.delenv(key)
    for key in ("SPACE_ID", "OAUTH_CLIENT_ID"):  # Spaces' own variables turn on sign-in
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("VIRA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def embedding() -> SentenceTransformerEmbedding:
    ef = SentenceTransformerEmbedding()
    ef.encode(["warm up"])
    return ef


@pytest.fixture(scope="session")
def ocr() -> Ocr:
    return Ocr()


@pytest.fixture(scope="session")
def image_embedding() -> ImageEmbedding:
    return ImageEmbedding("packaged")


@pytest.fixture
def make_kb(embedding, ocr, image_embedding, tmp_path):
    """Build a KnowledgeBase on the test's data dir, with settings overrides; the loaded
    models are shared across the session."""

    def make(**overrides) -> KnowledgeBase:
        settings = KnowledgeSettings(**{"data_dir": tmp_path / "data", **overrides})
        return KnowledgeBase(
            settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding
        )

    return make


@pytest.fixture
def kb(make_kb) -> KnowledgeBase:
    return make_kb()


@pytest.fixture(scope="session")
def gguf_path(request) -> Path:
    """The packaged 1.5B answering model as one GGUF file, assembled once for all runs."""
    return QWEN_CODER_1_5B.assemble(request.config.cache.mkdir("vira-models"))


@pytest.fixture(scope="session")
def composed_vlm(gguf_path) -> ComposedBackend:
    """The offline default answering model, loaded once for every test that answers."""
    return ComposedBackend(gguf_path)


@pytest.fixture(scope="session")
def served_vlm(composed_vlm, tmp_path_factory) -> ServedBackend:
    """The same model served by a real llama-server (4 slots), as the app runs it by default;
    ``composed_vlm`` is its in-process fallback."""
    binary = installed_binary()
    assert binary is not None, "llama-server is missing: scripts/setup.sh installs it"
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    vlm = ServedBackend(composed_vlm, binary, ServerOptions(slots=4), log)
    yield vlm
    vlm.close()


@pytest.fixture(scope="module")
def launched(tmp_path_factory, embedding, ocr, image_embedding, served_vlm):
    """A real app on a free port (as ``python app.py`` serves it): (url, its Assistant)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("app-data"))
    knowledge = KnowledgeBase(
        settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding
    )
    assistant = Assistant(settings, knowledge=knowledge, vlm=served_vlm)
    demo = build_ui(assistant)
    port = free_port()
    launch(
        demo, "127.0.0.1", port, settings.max_upload_bytes, block=False,
        concurrency=assistant.concurrency,
    )  # fmt: skip
    yield f"http://127.0.0.1:{port}/", assistant
    demo.close()


def pytest_sessionfinish(session, exitstatus):
    # A run that ran no test is a broken run, not a pass: turn pytest's exit 5 into 1.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
