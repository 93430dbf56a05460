"""The control lines a trails release may carry: the one rule set the build, ``trails lint``
and the agent all apply (issue 12 item 7), so a release the build writes is a release
every host installs.

A release's ``audit.rules`` is loaded next to other tools' rules (``auditctl -R`` by the
agent, or from ``rules.d`` by augenrules at boot). Settings that only tune the kernel
are allowed; lines that would delete other tools' rules, turn auditing off, or hide a
failed load are refused, with the reason. ``-e 2`` locks the rules until reboot, so it
may only be the last line (the build's augenrules order puts it there); on a locked
kernel the agent installs the file and leaves the kernel alone until the next boot.

The generic ``trails rules check`` (any auditctl file) does not apply this rule set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from trails.audit_rules.model import ControlRule, Rule

# option -> what it does on the host. Every option of ``model.CONTROL_OPTIONS`` is in
# exactly one of ALLOWED and REFUSED (a test keeps it so).
ALLOWED: dict[str, str] = {
    "-b": "sets the kernel's backlog limit",
    "--backlog_wait_time": "sets how long the kernel waits when the backlog is full",
    "-f": "sets the failure mode",
    "-r": "sets the message rate limit",
    "-e": "1 enables auditing; 2 locks the rules until reboot (last line only; never 0)",
    "--loginuid-immutable": "makes login uids immutable until reboot",
}
REFUSED: dict[str, str] = {
    "-D": "deletes every rule in the kernel, other tools' too (trails removes its own rules "
    "itself)",
    "-i": "makes auditctl ignore errors, so a rule that fails to load would go unnoticed",
    "-c": "makes auditctl ignore errors and go on, so a rule that fails to load would go unnoticed",
}
LOCK = ("-e", "2")


def refusal(option: str, value: str | None, *, last: bool = True) -> str | None:
    """Why no host may load this control line (None: a release may carry it).

    ``last``: the line is the last of the file (only ``-e 2`` cares).
    """
    line = option if value is None else f"{option} {value}"
    if option in REFUSED:
        return f"{line}: {REFUSED[option]}; remove it from the policy"
    if option not in ALLOWED:
        return f"{line}: not a control line a trails release may carry; remove it"
    if option == "-e" and value == "0":
        return f"{line}: turns auditing off for every tool on the host; remove it"
    if (option, value) == LOCK and not last:
        return (
            "-e 2 must be the last line: it locks the rules, so every line after it would "
            "fail to load"
        )
    return None


def problems(rules: Sequence[Rule], *, ordered: bool = True) -> Iterator[tuple[ControlRule, str]]:
    """Each control line in ``rules`` no host may load, with the reason.

    ``ordered``: ``rules`` is the file as a host loads it. False for a policy's sources,
    which the build merges in augenrules order (``-e`` last) before writing.
    """
    for i, rule in enumerate(rules):
        if isinstance(rule, ControlRule):
            last = not ordered or i == len(rules) - 1
            why = refusal(rule.option, rule.value, last=last)
            if why is not None:
                yield rule, why
