"""Host-side rule expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from trails.verify.apply import AuditRulesRefused
from trails.verify.hostrules import expand


def test_plain_rules_are_installed_as_signed(tmp_path: Path) -> None:
    data = b"# comment with * glob\n-w /etc/hosts -p wa -k k\n"
    assert expand(data, root=tmp_path, max_rules=5) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "not UTF-8"),
        (b"-w /etc/cron.d/* -p wa -k k\n", "line 1 has a glob"),
        (b"-w /a -k k\n-w /b -k k\n", r"more than max_audit_rules \(1\)"),
    ],
)
def test_refusals(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(AuditRulesRefused, match=message):
        expand(data, root=tmp_path, max_rules=1)
