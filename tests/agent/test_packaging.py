"""The shipped systemd units are valid and keep their promises."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGING = Path(__file__).parents[2] / "packaging"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(PACKAGING / name)
    return parser


def test_service_is_a_hardened_oneshot() -> None:
    service = _unit("trails-fetch.service")["Service"]
    assert service["Type"] == "oneshot"
    assert "trails fetch --config /etc/trails/agent.yaml" in service["ExecStart"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
    }.items():
        assert service[key] == value
    writable = service["ReadWritePaths"].split()
    assert writable == ["/etc/osquery", "/etc/audit/rules.d", "/var/lib/trails"]


def test_timer_spreads_the_fleet() -> None:
    timer = _unit("trails-fetch.timer")["Timer"]
    assert timer["RandomizedDelaySec"]
    assert timer["Unit"] == "trails-fetch.service"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_systemd_analyze_accepts_the_units(tmp_path: Path) -> None:
    trails = shutil.which("trails") or str(Path(__file__).parents[2] / ".venv/bin/trails")
    text = (PACKAGING / "trails-fetch.service").read_text()
    (tmp_path / "trails-fetch.service").write_text(text.replace("/usr/local/bin/trails", trails))
    shutil.copy(PACKAGING / "trails-fetch.timer", tmp_path)
    out = subprocess.run(
        ["systemd-analyze", "verify", "trails-fetch.service", "trails-fetch.timer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""


def test_shipped_agent_config_checks_the_crl() -> None:
    """Issue 12: a revoked signer is stopped only where a CRL is fetched and required."""
    from trails.agent.config import parse_config

    config = parse_config((PACKAGING / "agent.yaml").read_text(), "packaging/agent.yaml")
    assert config.crl_url
    assert config.require_crl is True
    assert config.on_revoked == "restore_previous"
