"""A release that ships exceptions.json (issue 15 item 3): the agent fetches it and checks
it against the signed manifest like every listed file, and installs only osquery.conf and
audit.rules, exactly as for a release without it. Real loopback mirror, real kernel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testkit.kernel import kernel_rules
from tests.agent.conftest import Host
from trails.formats.exceptions import ControlException, exceptions_bytes
from trails.verify.errors import FileHashError

pytestmark = pytest.mark.kernel

EXCEPTIONS_JSON = exceptions_bytes(
    "linux/web",
    [
        ControlException(
            id="EXC-2026-001",
            control="cis-ubuntu2204-5.2.4",
            justification="Legacy build agents until the March migration (CHG-1234)",
            approved_by="Jane Doe (CISO)",
            expires=datetime(2027, 4, 1, tzinfo=UTC),
            hosts=("web-01",),
            source="policies/linux/web/policy.yaml:12",
        )
    ],
)


def _paths(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _state(h: Host) -> dict[str, dict[str, str]]:
    doc: dict[str, dict[str, str]] = json.loads(h.state_file.read_text())
    return doc


def test_exceptions_json_is_fetched_and_verified_but_never_installed(installed: Host) -> None:
    h = installed  # runs v100: osquery.conf and audit.rules, no exceptions.json
    before = {p: (h.root / p).read_bytes() for p in (h.osquery_conf, h.rules_file)}
    paths = _paths(h.root)
    rules = kernel_rules(h.key)
    files = {**h.files(100), "exceptions.json": EXCEPTIONS_JSON}
    h.repo.publish(101, files)
    n = len(h.repo.mirror.requests)
    result = h.agent().run()
    assert (result.outcome, result.version) == ("installed", 101)
    assert "linux/web/exceptions.json" in h.repo.mirror.paths_requested()[n:]
    # installed exactly as before: the same files with the same bytes, the same rules;
    # the one new file is the archive of the replaced release, as after any update
    assert _paths(h.root) - paths == {"var/lib/trails/previous.json"}
    assert not any(EXCEPTIONS_JSON in (h.root / p).read_bytes() for p in _paths(h.root))
    assert {p: (h.root / p).read_bytes() for p in before} == before
    assert kernel_rules(h.key) == rules
    state = _state(h)
    assert set(state["files"]) == {"osquery.conf", "audit.rules", "exceptions.json"}
    assert sorted(Path(p).name for p in state["installed"]) == ["50-trails.rules", "osquery.conf"]
    # and the next run is a 304, the listed exceptions.json counted as part of the release
    assert h.agent().run().outcome == "unchanged"


def test_exceptions_json_content_is_not_read_by_the_agent(host: Host) -> None:
    """Whatever the signed file holds (here not even JSON), the agent only checks its
    size and hash: reading exceptions is the report's job."""
    host.repo.publish(100, {**host.files(100), "exceptions.json": b"\x00not json"})
    assert host.agent().run().outcome == "installed"
    assert host.osquery_conf.read_bytes() == host.files(100)["osquery.conf"]


def test_a_tampered_exceptions_json_refuses_the_whole_release(installed: Host) -> None:
    h = installed
    before = h.snapshot()
    h.repo.publish(101, {**h.files(101), "exceptions.json": EXCEPTIONS_JSON})
    h.repo.put_file("exceptions.json", EXCEPTIONS_JSON.replace(b"2027-04-01", b"2099-04-01"))
    with pytest.raises(FileHashError):
        h.agent().run()
    assert h.snapshot() == before
