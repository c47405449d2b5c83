"""Shared fixtures: a temp data dir for every test, offline hub, one model load per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings
from imaging import Ocr
from knowledge_base import KnowledgeBase, KnowledgeSettings
from knowledge_base.embeddings import ImageEmbedding, SentenceTransformerEmbedding
from tests.servers import running_app
from tools.answering.backends.composed import ComposedModel
from tools.answering.backends.llama_server import ServerOptions, installed_binary
from tools.answering.backends.served import ServedBackend
from tools.gguf import QWEN_CODER_1_5B


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


@pytest.fixture(scope="session")
def loaded_kb(embedding, ocr, image_embedding):
    """``loaded_kb(settings)``: a KnowledgeBase for those settings with the session's loaded
    models (the one way the tests assemble a knowledge base)."""

    def make(settings: KnowledgeSettings) -> KnowledgeBase:
        return KnowledgeBase(
            settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding
        )

    return make


@pytest.fixture
def make_kb(loaded_kb, tmp_path):
    """Build a KnowledgeBase on the test's data dir, with settings overrides."""

    def make(**overrides) -> KnowledgeBase:
        return loaded_kb(KnowledgeSettings(**{"data_dir": tmp_path / "data", **overrides}))

    return make


@pytest.fixture
def kb(make_kb) -> KnowledgeBase:
    return make_kb()


@pytest.fixture(scope="session")
def gguf_path(request) -> Path:
    """The packaged 1.5B answering model as one GGUF file, assembled once for all runs."""
    return QWEN_CODER_1_5B.assemble(request.config.cache.mkdir("vira-models"))


@pytest.fixture(scope="session")
def served_vlm(gguf_path, tmp_path_factory) -> ServedBackend:
    """The offline default answering model served by a real llama-server (4 slots), as the app
    runs it, started once for every test that answers."""
    binary = installed_binary()
    assert binary is not None, "llama-server is missing: scripts/setup.sh installs it"
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    vlm = ServedBackend(ComposedModel(gguf_path), binary, ServerOptions(slots=4), log)
    yield vlm
    vlm.close()


@pytest.fixture(scope="module")
def launched(tmp_path_factory, loaded_kb, served_vlm):
    """A real app on a free port (as ``python app.py`` serves it): (url, its Assistant)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("app-data"))
    assistant = Assistant(settings, knowledge=loaded_kb(settings), vlm=served_vlm)
    with running_app(assistant) as url:
        yield url, assistant


def pytest_addoption(parser):
    parser.addoption(
        "--screenshot", type=Path, default=None,
        help="where the conversations browser test saves the README's screenshot",
    )  # fmt: skip


def pytest_sessionfinish(session, exitstatus):
    # A run that ran no test is a broken run, not a pass: turn pytest's exit 5 into 1.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
