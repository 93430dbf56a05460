"""Issue 12 item 7: what the build accepts, a host installs (trails.audit_rules.controls).

Control lines a release may carry (``-b``, ``--backlog_wait_time``, ``-f``, ``-r``,
``-e 1``, ``--loginuid-immutable`` and ``-e 2`` as the last line) install; the others
(``-D``, ``-e 0``, ``-i``, ``-c``, ``-e 2`` before other lines) are refused with the
reason, by the build and, for a release made some other way, by the host.

Lines that change kernel-wide audit settings (``-b``, ``-e 2``) never reach the live
kernel here: those tests run the agent against a FAKE auditctl, a script in a temp dir
(named by the agent config) that records its arguments and simulates ``enabled 2``.
Refusals happen before any kernel call, so they run with the real auditctl and the
test's unique key, and assert the kernel's trails rules are unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.agent.conftest import Host, write_config
from tests.agent.test_attacks import refused
from trails.agent.apply import AuditRulesRefused
from trails.errors import ExitCode

pytestmark = pytest.mark.kernel

FAKE_AUDITCTL = """\
#!{python}
# A fake auditctl for tests: never touches the kernel; records argv; simulates -e 2.
import json, sys
from pathlib import Path
state_file = Path({state!r})
fresh = {{"enabled": "1", "rules": []}}
state = json.loads(state_file.read_text()) if state_file.exists() else fresh
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
locked = state["enabled"] == "2"
if args == ["-s"]:
    print(f"enabled {{state['enabled']}}")
elif args == ["-l"]:
    print("\\n".join(state["rules"]) or "No rules")
elif locked:
    print("Error sending add rule request (Operation not permitted)", file=sys.stderr)
    sys.exit(1)
elif args[:1] == ["-R"]:
    for line in Path(args[1]).read_text().splitlines():
        opt, _, value = line.partition(" ")
        if opt in ("-a", "-A", "-w"):
            state["rules"].append(line)
        elif (opt, value) == ("-e", "2"):
            state["enabled"] = "2"
elif args == ["-e", "2"]:
    state["enabled"] = "2"
elif args[:1] in (["-d"], ["-W"]):
    rule = " ".join(["-a" if args[0] == "-d" else "-w", *args[1:]])
    if rule not in state["rules"]:
        print("Error deleting rule (No such file or directory)", file=sys.stderr)
        sys.exit(1)
    state["rules"].remove(rule)
else:
    sys.exit(2)
state_file.write_text(json.dumps(state))
"""


class FakeAuditctl:
    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self.path = directory / "auditctl"
        self.log = directory / "argv.log"
        self.state = directory / "kernel.json"
        text = FAKE_AUDITCTL.format(python=sys.executable, state=str(self.state), log=str(self.log))
        self.path.write_text(text)
        self.path.chmod(0o755)

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def changes(self) -> list[list[str]]:
        """The calls that would change the kernel (not -s / -l)."""
        return [c for c in self.calls() if c not in (["-s"], ["-l"])]

    @property
    def enabled(self) -> str:
        return str(json.loads(self.state.read_text())["enabled"])


@pytest.fixture
def fake_host(host: Host, tmp_path: Path) -> tuple[Host, FakeAuditctl]:
    fake = FakeAuditctl(tmp_path / "fakebin")
    write_config(host.config_path, host.repo.mirror.base_url)
    text = host.config_path.read_text().replace(
        next(line for line in host.config_path.read_text().splitlines() if "auditctl:" in line),
        f"auditctl: {fake.path}",
    )
    host.config_path.write_text(text)
    return host, fake


def _rules(h: Host, *lines: str) -> dict[str, bytes]:
    files = h.files(101)
    body = files["audit.rules"].decode()
    files["audit.rules"] = "".join(f"{line}\n" for line in lines).replace("RULES\n", body).encode()
    return files


def test_backlog_settings_and_a_final_lock_install(fake_host: tuple[Host, FakeAuditctl]) -> None:
    h, fake = fake_host
    files = _rules(h, "-b 8192", "--backlog_wait_time 60000", "-f 1", "RULES", "-e 2")
    h.repo.publish(101, files)
    result = h.agent().run()
    assert result.outcome == "installed"
    assert result.audit_rules_loaded == 2  # the rules; the control lines are settings
    text = h.rules_file.read_text()
    assert text.startswith("-b 8192\n--backlog_wait_time 60000\n-f 1\n")
    assert text.endswith("-e 2\n")
    # one load (without the final -e 2), no -D, no deletes, then the lock
    assert fake.changes()[1:] == [["-e", "2"]]
    assert fake.changes()[0][0] == "-R"
    assert fake.enabled == "2"
    state = json.loads(h.state_file.read_text())
    assert len(state["loaded_rules"]) == 2
    assert all(not r.startswith(("-b", "-e", "-f", "--")) for r in state["loaded_rules"])


def test_a_final_lock_is_sent_after_the_old_rules_are_deleted(
    fake_host: tuple[Host, FakeAuditctl],
) -> None:
    """New rules in, old rules out, THEN -e 2: sent with the new rules, the lock would
    keep the old ones in the kernel beside them until reboot."""
    h, fake = fake_host
    h.repo.publish(100, h.files(100))
    assert h.agent().run().outcome == "installed"
    old = json.loads(fake.state.read_text())["rules"]
    assert old
    start = len(fake.changes())
    files = h.files(101)
    files["audit.rules"] = f"-w /etc/group -p wa -k {h.key}\n-e 2\n".encode()
    h.repo.publish(101, files)
    assert h.agent().run().outcome == "installed"
    calls = fake.changes()[start:]
    assert calls[0][0] == "-R"
    deletes = calls[1:-1]  # every old rule deleted (-W a watch, -d a syscall rule) ...
    assert len(deletes) == len(old)
    assert {c[0] for c in deletes} <= {"-W", "-d"}
    assert calls[-1] == ["-e", "2"]  # and only then the lock
    kernel = json.loads(fake.state.read_text())
    assert kernel == {"enabled": "2", "rules": [f"-w /etc/group -p wa -k {h.key}"]}


def test_a_locked_kernel_takes_the_next_release_at_boot(
    fake_host: tuple[Host, FakeAuditctl],
) -> None:
    h, fake = fake_host
    h.repo.publish(101, _rules(h, "RULES", "-e 2"))
    assert h.agent().run().outcome == "installed"
    assert fake.enabled == "2"
    before = len(fake.changes())
    files = h.files(102)
    files["audit.rules"] = f"-w /etc/group -p wa -k {h.key}\n-e 2\n".encode()
    h.repo.publish(102, files)
    result = h.agent().run()
    # The files are installed (rules.d loads them at the next boot); the locked kernel
    # is not asked to change (it would refuse), and the run says so.
    assert result.outcome == "installed"
    assert h.rules_file.read_bytes() == files["audit.rules"]
    assert h.osquery_conf.read_bytes() == files["osquery.conf"]
    assert fake.changes()[before:] == []
    assert any("locked" in w and "boot" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (("-D", "RULES"), "deletes every rule in the kernel"),
        (("RULES", "-e 0"), "turns auditing off"),
        (("-i", "RULES"), "ignore errors"),
        (("-c", "RULES"), "ignore errors"),
        (("-e 2", "RULES"), "-e 2 must be the last line"),
    ],
)
def test_control_lines_no_build_makes_are_refused(
    installed: Host, lines: tuple[str, ...], reason: str
) -> None:
    h = installed
    h.repo.publish(101, _rules(h, *lines))
    err = refused(h, AuditRulesRefused, reason)
    assert err.exit_code == ExitCode.VERIFICATION_REFUSED
