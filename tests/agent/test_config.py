"""agent.yaml is parsed strictly: every mistake is a one-line UsageError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trails.agent.config import AgentConfig, load_config, parse_config
from trails.errors import TrailsError, UsageError

BASE = "base_url: https://cfg.example.test/trails\nnamespace: linux/web\nroots: /etc/r.pem\n"
EXAMPLE = Path(__file__).parents[2] / "packaging" / "agent.yaml"


def test_minimal_config_gets_documented_defaults() -> None:
    cfg = parse_config(BASE, "agent.yaml")
    assert cfg.url("release.dsse.json") == (
        "https://cfg.example.test/trails/linux/web/release.dsse.json"
    )
    assert cfg.osquery_conf == Path("/etc/osquery/osquery.conf")
    assert cfg.audit_rules == Path("/etc/audit/rules.d/50-trails.rules")
    assert cfg.status_db == Path("/var/lib/trails/trails.db")
    assert cfg.audit_load == "auditctl"
    assert cfg.audit_flush is False
    assert cfg.osquery_reload == ()
    assert cfg.max_envelope_bytes == 1024 * 1024


def test_full_config() -> None:
    text = BASE + (
        "crl_url: http://cfg.example.test/crl.pem\nrequire_crl: true\n"
        "state_dir: /srv/state\naudit_load: augenrules\n"
        "osquery_reload: [systemctl, reload-or-restart, osqueryd]\n"
        "connect_timeout: 2.5\nretries: 0\nmax_audit_rules: 50\n"
    )
    cfg = parse_config(text, "agent.yaml")
    assert cfg.require_crl
    assert cfg.crl_url == "http://cfg.example.test/crl.pem"
    assert cfg.state_dir == Path("/srv/state")
    assert cfg.osquery_reload == ("systemctl", "reload-or-restart", "osqueryd")
    assert cfg.connect_timeout == 2.5
    assert cfg.retries == 0
    assert cfg.audit_load == "augenrules"


def test_shipped_example_parses() -> None:
    cfg = load_config(EXAMPLE)
    assert isinstance(cfg, AgentConfig)
    assert cfg.audit_flush is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list", "must be a YAML mapping"),
        ("a: [", "not valid YAML"),
        (BASE + "colour: blue\n", "unknown setting(s) colour"),
        ("namespace: linux\nroots: /r\n", "base_url is required"),
        (BASE.replace("https://cfg", "file://cfg"), "is not an http(s) URL"),
        (BASE + "crl_url: 5\n", "crl_url must be a URL string"),
        (BASE.replace("linux/web", "Linux/Web"), "not a valid namespace"),
        (BASE.replace("/etc/r.pem", "relative.pem"), "roots must be an absolute path"),
        (BASE + "require_crl: yes please\n", "require_crl must be true or false"),
        (BASE + "require_crl: true\n", "no crl_url is set"),
        (BASE + "auditctl: ''\n", "auditctl must be a command"),
        (BASE + "total_timeout: 0\n", "total_timeout must be a number"),
        (BASE + "total_timeout: true\n", "total_timeout must be a number"),
        (BASE + "retries: 11\n", "retries is out of range"),
        (BASE + "max_envelope_bytes: 0\n", "max_envelope_bytes is out of range"),
        (BASE + "audit_load: magic\n", "audit_load must be one of auditctl, augenrules"),
        (BASE + "osquery_reload: systemctl reload\n", "osquery_reload must be a non-empty"),
        (BASE + "audit_flush: true\n", "audit_flush true is no longer supported (-D deletes"),
    ],
)
def test_bad_configs_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=r"agent\.yaml") as info:
        parse_config(text, "agent.yaml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_oversized_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read agent config"):
        load_config(tmp_path / "missing.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("# x\n" * 20000)
    with pytest.raises(UsageError, match="larger than"):
        load_config(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        load_config(binary)


@given(st.text(max_size=300))
def test_any_text_is_a_config_or_a_usage_error(text: str) -> None:
    try:
        parse_config(text, "fuzz.yaml")
    except UsageError as exc:
        message = str(exc)
    except TrailsError as exc:  # pragma: no cover - would be a bug
        pytest.fail(f"wrong error family: {exc!r}")
    else:
        message = ""
    assert "\n" not in message
