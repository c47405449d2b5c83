#!/usr/bin/env bash
# Refresh docs/screenshot.png (the README's picture): the browser test of a three-turn
# conversation saves its page there instead of into its temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q tests/ui/test_browser_conversations.py \
  -k test_every_answer_keeps_its_own_sources --screenshot "$PWD/docs/screenshot.png"
echo "wrote docs/screenshot.png" >&2
