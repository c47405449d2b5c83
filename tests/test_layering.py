"""Data flows one way: ui -> assistant -> tools -> knowledge_base -> imaging. Nothing imports
upwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["imaging", "knowledge_base", "tools", "assistant", "ui"]  # bottom to top


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_no_upward_imports(layer):
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
    files = list((ROOT / layer).rglob("*.py"))
    assert files
    offenders = {str(f.relative_to(ROOT)): _imports(f) & above for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


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
