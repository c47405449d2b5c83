"""``VIRA_VLM`` picks an answering backend from the registry."""

from __future__ import annotations

import pytest

from tools.answering.backends.composed import ComposedModel
from tools.answering.backends.openai_compat import OpenAIBackend
from tools.answering.backends.served import ServedBackend
from tools.answering.backends.transformers_vlm import TransformersBackend
from tools.answering.registry import create_vlm
from tools.settings import ToolSettings


def test_default_is_the_packaged_composed_model_served_by_llama_server():
    served = create_vlm(ToolSettings())
    assert isinstance(served, ServedBackend) and not served.sees_pixels
    assert served.server is None  # nothing starts before the first question or warm-up
    model = served.model
    assert isinstance(model, ComposedModel) and not model.rules_again
    assert model.key == "composed-qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert model.models_dir == ToolSettings().data_dir / "models"


def test_other_backends(monkeypatch):
    small = create_vlm(ToolSettings(vlm="composed:small"))
    assert small.rules_again and not small.running
    assert small.model.key == "composed-qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    hub = create_vlm(ToolSettings(vlm="transformers:HuggingFaceTB/SmolVLM-Instruct"))
    assert isinstance(hub, TransformersBackend) and hub.model_id.endswith("SmolVLM-Instruct")
    monkeypatch.setenv("VIRA_OPENAI_BASE_URL", "http://gpu:8000/v1")
    monkeypatch.setenv("VIRA_OPENAI_SEND_IMAGES", "false")
    server = create_vlm(ToolSettings(vlm="openai:Qwen/Qwen2.5-VL-7B-Instruct"))
    assert isinstance(server, OpenAIBackend) and not server.sees_pixels
    assert server.base_url == "http://gpu:8000/v1"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt5", "unknown VLM backend 'gpt5'"),
        ("transformers", "transformers needs a model: transformers:"),
        ("fusion", "fusion needs a model: .*fusion:runs/stage1"),
        ("trained", "trained needs a model: .*fusion:runs/stage1"),
        ("openai:m", "needs VIRA_OPENAI_BASE_URL"),
    ],
)
def test_bad_specs_are_clear_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        create_vlm(ToolSettings(vlm=spec))
