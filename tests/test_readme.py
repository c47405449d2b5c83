"""The README's examples are tests: its commands and its Python API blocks must stay true, and
the pages it links to exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _runnable(block: str) -> bool:
    return "gradio_client" not in block  # needs a running app: tests/ui covers that API


def test_python_examples_run(capsys, embedding, ocr, image_embedding, monkeypatch, served_vlm):
    from PIL import Image
    from skimage import data

    import assistant.assistant
    import knowledge_base

    shared = knowledge_base.KnowledgeBase

    def with_loaded_models(settings):  # the session's loaded models; same classes, same code
        return shared(settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding)

    monkeypatch.setattr(knowledge_base, "KnowledgeBase", with_loaded_models)
    monkeypatch.setattr(assistant.assistant, "KnowledgeBase", with_loaded_models)
    monkeypatch.setattr(assistant.assistant, "create_vlm", lambda s: served_vlm)
    Image.fromarray(data.chelsea()).save("cat.png")
    namespace: dict = {}
    api = (ROOT / "docs" / "api.md").read_text()  # goes on from the README's knowledge base
    blocks = [("README.md", b) for b in _blocks("python")]
    blocks += [("docs/api.md", b) for b in _blocks("python", api)]
    for name, block in [(n, b) for n, b in blocks if _runnable(b)]:
        exec(compile(block, name, "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert "cat" in out[0].lower()
    assert out[1].startswith("['img-1'] ")
    assert out[2] == "added     boiler.md: 1 chunk, 0 images"
    assert out[3] == "boiler.md › Boiler › Keep the pressure between 1.2 and 1.5 bar."
    assert out[4] == "No passages found in the knowledge base."  # it was deleted


def test_quick_start_commands_are_what_ci_runs():
    test_command = _blocks("bash")[1].strip()
    assert test_command == "scripts/setup.sh --dev && .venv/bin/python -m pytest"
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_the_eval_format_example_reads(tmp_path):
    import json

    from assistant.eval.dataset import load

    (example,) = _blocks("json", (ROOT / "docs" / "evaluation.md").read_text())
    (tmp_path / "set.jsonl").write_text(json.dumps(json.loads(example)) + "\n")
    (conversation,) = load(tmp_path / "set.jsonl")
    kinds = [t.kind for t in conversation.turns]
    assert kinds == ["naming", "knowledge", "count", "idk"] and conversation.turns[3].unanswerable


def test_the_readme_is_a_front_door_whose_links_lead_somewhere():
    assert len(README.splitlines()) <= 250
    links = re.findall(r"\]\(((?:docs|eval|tests|scripts)/[^)#]*)\)", README)
    assert "docs/training.md" in links and "docs/evaluation.md" in links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []
