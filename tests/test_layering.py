"""Data flows one way: ui -> assistant -> tools -> knowledge_base -> imaging. Nothing imports
upwards. Inside tools, the answering step and the trainable fusion VLM are apart, and neither
the product nor the benchmarks import the test suite."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["imaging", "knowledge_base", "tools", "assistant", "ui"]  # bottom to top


def _modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth of the file (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offenders(folder: str, forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    files = list((ROOT / folder).rglob("*.py"))
    assert files, folder
    found = {
        str(f.relative_to(ROOT)): {
            m for m in _modules(f) if any(m == p or m.startswith(p + ".") for p in forbidden)
        }
        for f in files
    }
    return {f: bad for f, bad in found.items() if bad}


@pytest.mark.parametrize("layer", LAYERS)
def test_no_upward_imports(layer):
    above = (*LAYERS[LAYERS.index(layer) + 1 :], "tests", "bench", "eval")
    assert _offenders(layer, above) == {}


def test_the_trainable_model_does_not_import_the_answering_step():
    assert _offenders("tools/fusion_vlm", ("tools.answering",)) == {}


def test_the_answering_step_loads_the_trainable_model_only_to_serve_it():
    found = _offenders("tools/answering", ("tools.fusion_vlm",))
    assert set(found) == {"tools/answering/backends/fusion_vlm.py"}


def test_tools_keeps_the_answering_step_and_the_trainable_model_in_packages_of_their_own():
    packages = {p.parent.name for p in (ROOT / "tools").glob("*/__init__.py")}
    assert packages == {"answering", "fusion_vlm", "vision"}


def test_benchmarks_do_not_import_the_tests():
    assert _offenders("bench", ("tests",)) == {}


def test_importing_packages_loads_no_model():
    """No side effects on import: importing the packages must not load torch models."""
    import subprocess
    import sys

    code = (
        "import sys, imaging, knowledge_base, tools, assistant; "
        "print('sentence_transformers' in sys.modules, 'rapidocr_onnxruntime' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.split() == ["False", "False"]
