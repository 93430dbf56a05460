"""Fixtures for sign/verify command tests (helpers live in tests/sign/helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sign.helpers import DevPki, make_dev_pki


@pytest.fixture
def dev_pki(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> DevPki:
    return make_dev_pki(tmp_path, capsys)
