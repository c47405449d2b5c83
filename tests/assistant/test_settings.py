"""Settings come from VIRA_* variables (and .env), once, into one object passed down."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant import Settings
from knowledge_base import KnowledgeSettings


def test_defaults_are_offline_and_embedded(monkeypatch):
    monkeypatch.delenv("VIRA_DATA_DIR")
    s = Settings()
    assert s.data_dir == Path("data") and s.chroma_url is None
    assert s.embedding_model == "all-MiniLM-L6-v2" and s.device == "auto"
    assert s.image_encoder == "packaged"
    assert (s.host, s.port) == ("127.0.0.1", 7860)
    assert isinstance(s, KnowledgeSettings)  # the same object is handed to the KB


def test_environment_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("VIRA_MAX_PAGES=12\nVIRA_PORT=9000\n")
    monkeypatch.setenv("VIRA_CHROMA_URL", "http://chroma:8000")
    monkeypatch.setenv("VIRA_MAX_UPLOAD_MB", "2.5")
    s = Settings()
    assert s.chroma_url == "http://chroma:8000"
    assert s.max_upload_bytes == int(2.5 * 1024 * 1024)
    assert (s.max_pages, s.port) == (12, 9000)


def test_gradio_and_spaces_variables_pick_the_address(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")  # what Hugging Face Spaces sets
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    assert (Settings().host, Settings().port) == ("0.0.0.0", 7861)
    monkeypatch.setenv("VIRA_HOST", "10.0.0.5")  # ours win
    assert Settings().host == "10.0.0.5"
    assert Settings(host="::1", port=1234).host == "::1"


def test_blank_url_means_embedded(monkeypatch):
    monkeypatch.setenv("VIRA_CHROMA_URL", "")
    assert Settings().chroma_url is None


def test_invalid_values_are_rejected(monkeypatch):
    monkeypatch.setenv("VIRA_MAX_UPLOAD_MB", "-1")
    with pytest.raises(ValidationError):
        Settings()


def test_answer_length_is_short_unless_set_to_detailed(monkeypatch):
    assert Settings().answer_length == "short"
    monkeypatch.setenv("VIRA_ANSWER_LENGTH", "detailed")
    assert Settings().answer_length == "detailed"
    monkeypatch.setenv("VIRA_ANSWER_LENGTH", "essay")
    with pytest.raises(ValidationError):
        Settings()


def test_persistent_storage_is_used_when_mounted(tmp_path):
    from knowledge_base.settings import default_data_dir

    assert default_data_dir(tmp_path) == tmp_path / "vira"
    assert default_data_dir(tmp_path / "absent") == Path("data")
