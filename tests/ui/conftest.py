"""The UI tests share the launched app fixture from tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def app_url(launched):
    return launched[0]
