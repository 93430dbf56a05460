"""Invalid rules: each is refused by this engine AND by the real auditctl (or the kernel,
for what auditctl only finds out when loading), for the same reason.

Every line carries our unique test key, so a rule auditctl unexpectedly accepted would
be deleted by the finaliser and the test would fail.
"""

from __future__ import annotations

import pytest

from tests.audit_rules.kernel import KernelRules
from trails.audit_rules import check
from trails.models.diagnostic import Severity

# (rule line, our error, auditctl's last stderr line); {K} is the test key.
INVALID: list[tuple[str, str, str]] = [
    (
        "-a always,exit -F arch=b64 -S opne -k {K}",
        "unknown syscall 'opne' for x86_64",
        "Syscall name unknown: opne",
    ),
    (
        "-a always,exit -F arch=b64 -S 9999 -k {K}",
        "syscall number 9999 is out of range (0..2047)",
        "Syscall name unknown: 9999",
    ),
    (
        "-a always,exit -F arch=b64 -S socketcall -k {K}",
        "unknown syscall 'socketcall' for x86_64",
        "Syscall name unknown: socketcall",
    ),
    (
        "-a always,exit -S open -F arch=b64 -k {K}",
        "-F arch must come before -S (and cannot follow -w)",
        "arch must be before -S",
    ),
    (
        "-w /etc/hosts -F arch=b64 -k {K}",
        "-F arch must come before -S (and cannot follow -w)",
        "arch must be before -S",
    ),
    (
        "-a always,exit -F arch=b65 -S open -k {K}",
        "unknown arch 'b65' (use b32, b64 or a machine such as x86_64)",
        "arch elf mapping not found",
    ),
    (
        "-a always,exit -F arch>b64 -S open -k {K}",
        "operator > is not valid for arch (use != =)",
        "arch only takes = or != operators",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F uid&=1 -k {K}",
        "operator &= is not valid for uid (use != < <= = > >=)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F foo=1 -k {K}",
        "unknown field 'foo'",
        "-F unknown field: foo",
    ),
    (
        "-a always,task -S open -k {K}",
        "-S is not allowed on the task list",
        "Error: syscall auditing being added to task list",
    ),
    (
        "-a always,user -S open -k {K}",
        "-S is not allowed on the user list",
        "Error: syscall auditing being added to user list",
    ),
    (
        "-a always,exclude -S open -k {K}",
        "-S is not allowed on the exclude list",
        "Error: syscall auditing cannot be put on exclude list",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F msgtype=CWD -k {K}",
        "field msgtype is allowed only on the exclude, user list(s)",
        "msgtype field can only be used with exclude or user filter list",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F exit=-EFOO -k {K}",
        "unknown errno name 'EFOO'",
        "-F unknown errno - exit",
    ),
    (
        "-a always,exit -F perm=rq -k {K}",
        "permission 'q' is not one of r, w, x, a",
        "Permission can only contain  'rwxa'",
    ),
    (
        "-a always,exit -F perm=rwxaa -k {K}",
        "permission 'rwxaa' must be 1 to 4 of r, w, x, a",
        "String value too long",
    ),
    (
        "-a always,exit -F path=/etc/hosts -F perm!=r -k {K}",
        "operator != is not valid for perm (use =)",
        "perm only takes = operator",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F filetype=pipe -k {K}",
        "unknown file type 'pipe'",
        "-F unknown file type -  filetype",
    ),
    (
        "-a never,filesystem -F fstype=ext9 -k {K}",
        "unknown filesystem type 'ext9'",
        "file system type is unknown for field: fstype",
    ),
    (
        "-a never,filesystem -F fstype=tracefs -F uid=0 -k {K}",
        "the filesystem list takes only fstype (and keys)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F pid=abc -k {K}",
        "pid must be a number, got 'abc'",
        "-F value should be number for pid",
    ),
    (
        "-a always,exit -F arch=b64 -S connect -F saddr_fam=99 -k {K}",
        "saddr_fam 99 is not an address family (0..45)",
        "value is too large for field: saddr_fam",
    ),
    (
        "-a always,exit -F path=etc/passwd -F perm=wa -k {K}",
        "path 'etc/passwd' must be an absolute path",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F path=/etc/ -F perm=wa -k {K}",
        "path must not end in '/' (use -F dir= for a directory)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F path=/etc/hosts -F dir=/etc -F perm=wa -k {K}",
        "a rule takes at most one path, dir or watch",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-w etc/passwd -k {K}",
        "path 'etc/passwd' must start with '/'",
        "The path must start with '/'",
    ),
    (
        "-w /tmp/" + "a" * 300 + " -k {K}",
        "the last name in the path is longer than 255",
        "The base name of the path is too big",
    ),
    (
        "-a always,exit -F arch=b64 -S open -C uid=gid -k {K}",
        "-C cannot compare uid with gid",
        "-C incompatible comparison uid",
    ),
    (
        "-a always,exit -F arch=b64 -S open -C uid>euid -k {K}",
        "-C takes only = or !=, not >",
        "uid>euid only takes = or != operators",
    ),
    (
        "-a always,exit -k {K} -S open",
        "-k must follow a watch or -S (auditctl reads options in order)",
        "key option needs a watch or syscall given prior to it",
    ),
    (
        "-a always,exit -F arch=b64 -S open -k {K}" + "x" * 230,
        "the limit is 256",
        "key option exceeds size limit",
    ),
    (
        "-a always,entry -S open -k {K}",
        "the entry list was removed from the kernel; use exit",
        "Append rule - bad keyword always,entry",
    ),
    (
        "-a always,bogus -S open -k {K}",
        "unknown list 'bogus' (one of task, exit, user, exclude, filesystem, io_uring)",
        "Append rule - bad keyword always,bogus",
    ),
    (
        "-a sometimes,exit -S open -k {K}",
        "-a 'sometimes,exit': action must be always or never",
        "Append rule - bad keyword sometimes,exit",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F auid -k {K}",
        "-F 'auid' has no operator (=, !=, <, >, <=, >=, &, &=)",
        "-F missing operation for auid",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F uid= -k {K}",
        "-F 'uid=' has no value",
        "-F missing value after operation for uid",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F =0 -k {K}",
        "-F '=0' has no field name",
        "-F missing field name before operator for",
    ),
    (
        "-F uid=0 -a always,exit -S open -k {K}",
        "-F before -a/-A/-w: the list must be given before a field",
        "List must be given before field",
    ),
    (
        "-w /etc/hosts -p wq -k {K}",
        "permission 'q' is not one of r, w, x, a",
        "Permission q isn't supported",
    ),
    (
        "-a always,exit -F arch=b64 -S open -X -k {K}",
        "unknown option -X",
        "Option -X is invalid",
    ),
    (
        "-a always,exit -F arch=b64 -S open foo -k {K}",
        "'foo' is not an option (auditctl: parameter without an option)",
        "parameter passed without an option given",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F inode=1 -F path=/etc/hosts -k {K}",
        "a rule cannot have both a path and an inode",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F inode<5 -k {K}",
        "operator < is not valid for inode (use != =)",
        "inode only takes = or != operators",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F uid&1 -k {K}",
        "operator & is not valid for uid (use != < <= = > >=)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F subj_type<x -k {K}",
        "operator < is not valid for subj_type (use != =)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F devmajor&1 -k {K}",
        "operator & is not valid for devmajor (use != < <= = > >=)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F arch=b32 -k {K}",
        "-F arch must come before -S (and cannot follow -w)",
        "arch must be before -S",
    ),
    (
        "-a always,exit -F arch=b64 -S open" + " -F a0=1" * 64 + " -k {K}",
        "more than 63 fields in one rule",
        "Too many fields in rule: a0=1",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F exe<=/bin/ls -k {K}",
        "operator <= is not valid for exe (use != =)",
        "exe only takes = or != operators",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F key!=x -k {K}",
        "key takes only '=' (-F key=... or -k ...)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F exit=-EPERM -F success=x -k {K}",
        "success must be a number, got 'x'",
        "-F value should be number for success",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F a0=abc -k {K}",
        "a0 must be a number, got 'abc'",
        "-F value should be number for a0",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F path=/etc/hosts -F inode=5 -k {K}",
        "a rule cannot have both a path and an inode",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-A always,exit -F arch=b64 -S open -a always,exit -k {K}",
        "-a given twice or with -w: one line holds a rule",
        "Multiple rule insert/delete operations are not allowed",
    ),
    (
        "-w /etc/hosts -w /etc/passwd -k {K}",
        "-w cannot be combined with -a/-A or a second -w",
        "watch option can't be given with a syscall",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F obj_uid&1 -k {K}",
        "operator & is not valid for obj_uid (use != < <= = > >=)",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -R /etc/x -k {K}",
        "-R reads another rule file (nesting is not supported); it has no place in a rule file",
        "Error - nested rule files not supported",
    ),
    (
        "-a possible,exit -F arch=b64 -S open -k {K}",
        "the 'possible' action is deprecated and ignored by auditctl",
        "Append rule - bad keyword possible,exit",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F ppid=-1 -k {K}",
        "ppid must be a number, got '-1'",
        "-F value should be number for ppid",
    ),
    (
        "-a always,exit -F dir=relative/dir -F perm=wa -k {K}",
        "dir 'relative/dir' must be an absolute path",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F gid=unset -k {K}",
        "gid takes a group name or a number >= 0 (4294967295 for unset)",
        "Unknown group: unset",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F egid=-1 -k {K}",
        "egid takes a group name or a number >= 0 (4294967295 for unset)",
        "Unknown group: -1",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F loginuid_set=1 -k {K}",
        "unknown field 'loginuid_set'",
        "-F unknown field: loginuid_set",
    ),
    (
        "-a always,exit -S all -F exe=/bin/ls -F exe=/bin/sh -k {K}",
        "a rule takes at most one exe",
        "Error sending add rule data request (Invalid argument)",
    ),
    (
        "-a always,exit -F arch=b64 -S open -F exe=relative -k {K}",
        "exe 'relative' must be an absolute path",
        "Error sending add rule data request (Invalid argument)",
    ),
]


def test_at_least_forty_invalid_rules() -> None:
    assert len(INVALID) >= 40


@pytest.mark.parametrize(("line", "ours", "_theirs"), INVALID)
def test_engine_rejects(line: str, ours: str, _theirs: str) -> None:
    key = "trails-test-" + "0" * 32  # as long as a real test key
    found = [
        d.message for d in check(line.format(K=key)).diagnostics if d.severity is Severity.ERROR
    ]
    assert any(ours in m for m in found), found


@pytest.mark.kernel
@pytest.mark.parametrize(("line", "_ours", "theirs"), INVALID)
def test_auditctl_rejects_too(line: str, _ours: str, theirs: str, kernel: KernelRules) -> None:
    out = kernel.run(line.format(K=kernel.key).split(" "))
    assert out.returncode != 0
    assert out.stderr.strip().splitlines()[-1] == theirs
    assert kernel.listed() == []
