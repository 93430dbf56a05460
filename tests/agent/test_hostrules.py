"""Host-side rule expansion with the audit-rules engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from trails.agent.apply import AuditRulesRefused
from trails.agent.hostrules import expand


def test_plain_rules_survive_expansion(tmp_path: Path) -> None:
    data = b"# comment\n-w /etc/hosts -p wa -k k\n"
    assert expand(data, root=tmp_path, max_rules=5) == b"-w /etc/hosts -p wa -k k\n"


def test_globs_expand_under_the_root(tmp_path: Path) -> None:
    (tmp_path / "etc/cron.d").mkdir(parents=True)
    for name in ("b", "a"):
        (tmp_path / "etc/cron.d" / name).write_text("")
    out = expand(b"-w /etc/cron.d/* -p wa -k cron\n", root=tmp_path, max_rules=5).decode()
    assert out.splitlines() == [
        f"-w {tmp_path}/etc/cron.d/a -p wa -k cron",
        f"-w {tmp_path}/etc/cron.d/b -p wa -k cron",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "not UTF-8"),
        (b"-w /etc/hosts -p wa -k k\n-a bogus,list -k k\n", "audit.rules:2"),
        (b"-w /etc/* -p wa -k k\n", "more than 1 rules"),
    ],
)
def test_refusals(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "etc").mkdir()
    for name in ("x", "y"):
        (tmp_path / "etc" / name).write_text("")
    with pytest.raises(AuditRulesRefused, match=message) as info:
        expand(data, root=tmp_path, max_rules=1)
    assert info.value.check == "audit-rules"
