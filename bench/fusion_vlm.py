"""Everything issue-sized about Vira's fusion VLM in one run on one machine: easy-VQA
(`fusion_easyvqa.py`) and the CLEVR-style scenes (`fusion_scenes.py`), each trained here and
compared with the composed default on the same test questions.

    .venv/bin/python bench/fusion_vlm.py [--reuse]     # ~3.5 h on 2 CPU cores from scratch
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fusion_easyvqa
import fusion_scenes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reuse", action="store_true", help="evaluate the runs already trained")
    reuse = parser.parse_args().reuse
    easy = fusion_easyvqa.arguments(argparse.ArgumentParser()).parse_args([])
    scenes = fusion_scenes.arguments(argparse.ArgumentParser()).parse_args([])
    easy.reuse = scenes.reuse = reuse
    report = {"easy-VQA": fusion_easyvqa.run(easy), "scenes": fusion_scenes.run(scenes)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
