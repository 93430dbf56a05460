"""One rule set for control lines (issue 12 item 7): for every control line, the build
(``trails.build.audit.render_rules``), the host's rule check (``hostrules.expand``) and
the agent's rule list (``apply.rule_lines``) agree on whether a release may carry it."""

from __future__ import annotations

from pathlib import Path

import pytest

from trails.agent import hostrules
from trails.agent.apply import AuditRulesRefused, rule_lines
from trails.audit_rules import controls
from trails.build.audit import render_rules
from trails.errors import SourceLoc
from trails.models.diagnostic import Severity
from trails.models.fragment import AuditRuleSource

RULE = "-w /etc/shadow -p wa -k shadow"
LINES = [
    "-D",
    "-b 8192",
    "-f 0",
    "-f 1",
    "-f 2",
    "-e 0",
    "-e 1",
    "-e 2",
    "-r 100",
    "-i",
    "-c",
    "--backlog_wait_time 60000",
    "--backlog_wait_time=60000",
    "--loginuid-immutable",
]


def _build(lines: list[str]) -> tuple[str, list[str]]:
    sources = [AuditRuleSource(t, SourceLoc("p.yaml", n)) for n, t in enumerate(lines, 1)]
    text, diags = render_rules(sources, "x86_64")
    return text, [d.message for d in diags if d.severity is Severity.ERROR]


def _host(text: str) -> str | None:
    try:
        rendered = hostrules.expand(text.encode(), root=Path("/"), max_rules=100)
        rule_lines(rendered.decode())
    except AuditRulesRefused as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("where", ["first", "last"])
def test_build_and_host_agree(line: str, where: str) -> None:
    lines = [line, RULE] if where == "first" else [RULE, line]
    built, errors = _build(lines)
    if errors:
        # The build refuses it, with the reason; a hand-made release with it is refused too.
        assert _host("\n".join(lines) + "\n") is not None
    else:
        assert _host(built) is None, built  # whatever the build writes, a host installs
    option = line.split(maxsplit=1)[0].split("=", maxsplit=1)[0]
    allowed = option in controls.ALLOWED and not (option == "-e" and line.endswith(" 0"))
    assert (not errors) == allowed


def test_a_lock_before_other_lines_is_refused_on_the_host() -> None:
    assert "-e 2 must be the last line" in (_host(f"-e 2\n{RULE}\n") or "")
    assert _host(f"{RULE}\n-e 2\n") is None


def test_every_control_option_is_decided() -> None:
    from trails.audit_rules.model import CONTROL_OPTIONS

    assert set(CONTROL_OPTIONS) == set(controls.ALLOWED) | set(controls.REFUSED)
    assert not set(controls.ALLOWED) & set(controls.REFUSED)
