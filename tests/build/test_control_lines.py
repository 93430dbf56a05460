"""Issue 12 item 7: ``trails lint``/``build`` accept exactly the control lines a host
installs: one rule set (``trails.audit_rules.controls``) decides both."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.build.conftest import PolicyRepo
from trails.cli import cli
from trails.errors import CheckFailed


def _policy(*lines: str) -> str:
    rules = "".join(f"    - {line!r}\n" for line in lines)
    return f"audit:\n  rules:\n{rules}"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("-D", "deletes every rule in the kernel, other tools' too"),
        ("-e 0", "turns auditing off"),
        ("-i", "ignore errors"),
        ("-c", "ignore errors"),
    ],
)
def test_lint_and_build_refuse_what_every_host_refuses(
    repo: PolicyRepo, tmp_path: Path, line: str, reason: str
) -> None:
    repo.write("linux/web/policy.yaml", _policy(line, "-w /etc/shadow -p wa -k shadow"))
    lint = CliRunner().invoke(cli, ["lint", "--policies", str(repo.policies)])
    assert lint.exit_code == 1
    assert f"policies/linux/web/policy.yaml:3: error: {line}: " in lint.output
    assert reason in lint.output
    repo.commit("controls")
    out = tmp_path / "dist"
    build = CliRunner().invoke(cli, ["build", "--policies", str(repo.policies), "--out", str(out)])
    assert isinstance(build.exception, CheckFailed)
    assert not (out / "linux/web/audit.rules").exists()


def test_build_keeps_the_controls_hosts_install_and_puts_the_lock_last(
    repo: PolicyRepo, tmp_path: Path
) -> None:
    repo.write(
        "linux/web/policy.yaml",
        _policy("-e 2", "-b 8192", "--backlog_wait_time 60000", "-w /etc/shadow -p wa -k shadow"),
    )
    lint = CliRunner().invoke(cli, ["lint", "--policies", str(repo.policies)])
    assert lint.exit_code == 0, lint.output
    repo.commit("controls")
    out = tmp_path / "dist"
    build = CliRunner().invoke(cli, ["build", "--policies", str(repo.policies), "--out", str(out)])
    assert build.exit_code == 0, build.output
    lines = (out / "linux/web/audit.rules").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "-b 8192"  # augenrules order: -b first, -e last
    assert "--backlog_wait_time 60000" in rules
    assert rules[-1] == "-e 2"
