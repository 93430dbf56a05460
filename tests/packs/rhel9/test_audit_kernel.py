"""The 6.3.3 fixtures are real: each rule line, loaded into the running kernel, is printed
back by ``auditctl -l`` exactly as the fixture writes it, and the compiled control passes on
the kernel's own listing (each line given back the fixture's key, as ``audit_loaded`` checks
compare whole lines).

Every rule is loaded under a throw-away key and deleted again (``-d``/``-W`` of that exact
rule) in a finaliser; nothing else in the kernel is touched.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from trails.packs.model import Control, Fixture

from ..harness import catalog, fixture_tables, host_state, run_control

pytestmark = pytest.mark.kernel

AUDITCTL = shutil.which("auditctl") or "/usr/sbin/auditctl"
PACK = catalog().pack("cis_rhel9")
KEY = re.compile(r"(-F key=|-k )(\S+)$")


def _pass_fixture(control: Control) -> Fixture | None:
    """The control's passing host state whose agent loaded rules on this machine's arch."""
    for fixture in control.fixtures:
        agent = (fixture.host or {}).get("agent", {})
        if (
            fixture.expect == "pass"
            and agent.get("audit_rules")
            and "os_version" not in fixture.tables
        ):
            return fixture
    return None


AUDIT_CONTROLS = [c for c in PACK.controls if c.check is not None and _pass_fixture(c)]


def _kernel_audit_usable() -> bool:
    if not Path(AUDITCTL).exists() or os.geteuid() != 0:
        return False
    status = subprocess.run([AUDITCTL, "-s"], capture_output=True, timeout=10, check=False)
    return status.returncode == 0


def _rekey(line: str, key: str) -> str:
    return KEY.sub(lambda m: m.group(1) + key, line)


def _auditctl(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [AUDITCTL, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)


def _delete(line: str) -> None:
    argv = shlex.split(line)
    argv[0] = {"-a": "-d", "-w": "-W"}[argv[0]]
    _auditctl(*argv)


@pytest.fixture
def key() -> Iterator[tuple[str, list[str]]]:
    """A unique key, and the list of rules the test loaded under it (deleted afterwards)."""
    k = f"trails-test-{uuid.uuid4().hex[:12]}"
    loaded: list[str] = []
    try:
        yield k, loaded
    finally:
        for line in loaded:
            _delete(line)
        left = [r for r in _auditctl("-l").stdout.splitlines() if r.endswith(k)]
        for line in left:  # a rule the kernel normalised differently: delete what it printed
            _delete(line)
        assert not [r for r in _auditctl("-l").stdout.splitlines() if r.endswith(k)]


def test_audit_controls_exist() -> None:
    assert len(AUDIT_CONTROLS) >= 18


@pytest.mark.skipif(not _kernel_audit_usable(), reason="needs root, auditctl and kernel audit")
@pytest.mark.parametrize("control", AUDIT_CONTROLS, ids=lambda c: c.id)
def test_fixture_rules_round_trip_through_the_kernel(
    control: Control, key: tuple[str, list[str]]
) -> None:
    k, loaded = key
    fixture = _pass_fixture(control)
    assert fixture is not None
    assert fixture.host is not None
    wanted = list(fixture.host["agent"]["audit_rules"])
    not_loadable = []
    fixture_key: dict[str, str] = {}
    for line in wanted:
        ours = _rekey(line, k)
        result = _auditctl(*shlex.split(ours))
        if result.returncode == 0:
            loaded.append(ours)
            match = KEY.search(line)
            assert match is not None, f"{line}: a fixture rule needs a key"
            fixture_key[ours] = match.group(2)
        else:  # e.g. a watch whose parent directory does not exist on this test host
            missing = ("No such file", "does not exist")
            assert any(m in result.stderr for m in missing), result.stderr
            not_loadable.append(line)
    assert loaded, f"{control.id}: nothing could be loaded"
    listing = [r for r in _auditctl("-l").stdout.splitlines() if r.endswith(k)]
    assert sorted(listing) == sorted(loaded), "auditctl -l prints the fixture rules differently"
    kernel = [_rekey(r, fixture_key[r]) for r in listing] + not_loadable
    state = dict(host_state(PACK, fixture) or {})
    tables = fixture_tables(PACK, fixture)

    def status(rules: list[str]) -> str:
        state["agent"] = {**state["agent"], "audit_rules": rules}
        (row,) = run_control(PACK, control, tables, state=state)
        return str(row["status"])

    assert status(kernel) == "pass"
    dropped = [status(kernel[:i] + kernel[i + 1 :]) for i in range(len(kernel))]
    assert "fail" in dropped, "dropping a loaded rule the check needs must fail the control"
