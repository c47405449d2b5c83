"""The README's examples are tests: its commands and its Python API block must stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_python_examples_run(capsys, embedding, ocr, monkeypatch):
    import knowledge_base

    shared = knowledge_base.KnowledgeBase

    def with_loaded_models(settings):  # reuse the session's loaded models; same classes
        return shared(settings, embedding=embedding, ocr=ocr)

    monkeypatch.setattr(knowledge_base, "KnowledgeBase", with_loaded_models)
    namespace: dict = {}
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "added     boiler.md: 1 chunk, 0 images"
    assert out[1] == "boiler.md › Boiler › Keep the pressure between 1.2 and 1.5 bar."
    assert out[2] == "No passages found in the knowledge base."  # it was deleted


def test_quick_start_commands_are_what_ci_runs():
    test_command = _blocks("bash")[1].strip()
    assert test_command == "scripts/setup.sh --dev && .venv/bin/python -m pytest"
    assert test_command in (ROOT / ".ci" / "run").read_text()
