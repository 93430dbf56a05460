"""Unusual but valid rules: accepted by the kernel and listed exactly as normalised."""

from __future__ import annotations

import pytest

from tests.audit_rules.kernel import KernelRules
from trails.audit_rules import AuditRule, check, normalise
from trails.models.diagnostic import Severity

EDGE = [
    "-a always,exit -F arch=b64 -F arch=b32 -S open",
    "-a always,exit -F path=/etc/hosts -F perm=wa -F perm=r",
    "-a always,exit -F arch=b64 -S open -F perm=r",
    "-a always,exit -F arch=b64 -S open -F exe=/bin/ls -F path=/etc/hosts",
    "-a always,exit -F arch=b64 -S open -F obj_user=system_u",
    "-a always,exit -F arch=b64 -S open -F subj_sen<s0",
    "-a always,exit -F arch=b64 -S open -F devmajor>8 -F devminor&1",
    "-a always,exit -F arch=b64 -S open -F pers&=8",
    "-a always,exit -F arch=b64 -S open -F success=2",
    "-a always,exit -F arch=b64 -S open -F exit>0 -F exit<=-EPERM",
    "-a always,exit -F arch=b64 -S open -F ppid>1",
    "-a always,exit -F arch=b64 -S open -F saddr_fam=10",
    "-a always,exit -F arch=b64 -S open -F filetype!=dir",
    "-a never,filesystem -F fstype!=debugfs",
    "-a always,exit -F arch=b64 -S 0",
    "-a always,exit -F arch=b64 -S 1000,open",
    "-a always,exit -F arch=b64 -S open -F inode=4294967295",
    "-a always,exit -F arch=b64 -S open -F a0=-2147483648",
    "-w /etc/hosts -p wa -p r",
    "-w /etc/hosts -S open",
    "-w /etc/hosts -F auid>=1000",
    "-w /var/log/ -p wa -F auid>=1000",
    "-a always,exit -F dir=/var/log -F perm=wa -F uid=0",
    "-a always,exit -F arch=0xc000003e -S open",
    "-a always,exit -F arch=3221225534 -S open",
    "-A always,exit -F arch=b64 -S open -F auid=unset",
    "-a always,exit -F arch=b64 -S open -F exit=-eperm -F filetype=FILE",
    "-a always,exit -F arch=B64 -S open,open,2",
]


@pytest.mark.kernel
@pytest.mark.parametrize("line", EDGE)
def test_edge_rule_lists_as_normalised(line: str, kernel: KernelRules) -> None:
    result = check(f"{line} -k {kernel.key}")
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    (rule,) = result.rules
    assert isinstance(rule, AuditRule)
    out = kernel.add(rule)
    assert out.returncode == 0, out.stderr
    assert kernel.listed() == [normalise(rule)]
