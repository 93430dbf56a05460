"""The API the build, lint and the agent call: parse, check, normalise, merge, render."""

from __future__ import annotations

import pytest

from trails.audit_rules import (
    AuditRule,
    Compare,
    ControlRule,
    FieldCond,
    Key,
    Perm,
    Syscalls,
    check,
    listing,
    merge,
    normalise,
    parse,
    render,
    validate,
)
from trails.errors import SourceError, SourceLoc
from trails.models.diagnostic import Severity


def errors(text: str, arch: str = "x86_64") -> list[str]:
    return [d.message for d in check(text, arch=arch).diagnostics if d.severity is Severity.ERROR]


def warnings(text: str) -> list[str]:
    return [d.code for d in check(text).diagnostics if d.severity is Severity.WARNING]


def test_parse_keeps_every_option_in_order_with_its_line() -> None:
    text = (
        "# comment\n\n"
        "-a always,exit -F arch=b64 -S open,openat -S close -F auid>=1000 -C uid!=euid -k k1\n"
        "-w /etc/passwd -p wa -k identity\n"
        "-e 2\n"
    )
    result = parse(text, "rules/x.rules", first_line=10)
    assert result.diagnostics == ()
    rule, watch, control = result.rules
    assert isinstance(rule, AuditRule)
    assert rule.loc == SourceLoc("rules/x.rules", 12)
    assert rule.parts == (
        FieldCond("arch", "=", "b64"),
        Syscalls(("open", "openat")),
        Syscalls(("close",)),
        FieldCond("auid", ">=", "1000"),
        Compare("uid", "!=", "euid"),
        Key("k1"),
    )
    assert rule.syscalls == ("open", "openat", "close")
    assert watch == AuditRule(watch="/etc/passwd", parts=(Perm("wa"), Key("identity")))
    assert watch.loc.line == 13
    assert control == ControlRule(option="-e", value="2")


def test_equal_rules_from_different_places_compare_equal_and_hash_alike() -> None:
    a = parse("-w /etc/hosts -p wa -k net", "a").rules[0]
    b = parse("\n\n-w /etc/hosts -p wa -k net", "b").rules[0]
    assert a == b
    assert hash(a) == hash(b)
    assert a.loc != b.loc


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-x foo", "unknown option -x"),
        ("--frobnicate", "unknown option --frobnicate"),
        ("-a always", "needs 'list,action'"),
        ("-a always,exit,extra", "needs 'list,action'"),
        ("-a sometimes,exit", "action must be always or never"),
        ("-a possible,exit", "deprecated"),
        ("-a always,exit -F auid", "has no operator"),
        ("-a always,exit -F =3", "has no field name"),
        ("-a always,exit -F uid=", "has no value"),
        ("-a always,exit -F key=", "-F key= has no value"),
        ("-F uid=0 -a always,exit", "list must be given before a field"),
        ("-k foo -w /etc/x", "a key needs a watch or syscall rule"),
        ("-p wa -w /etc/x", "permissions need a watch"),
        ("-C uid=euid", "the list must be given first"),
        ("-a always,exit -S open -w /etc/x", "-w cannot be combined"),
        ("-w /etc/x -a always,exit", "given twice or with -w"),
        ("-a always,exit -a never,exit", "given twice"),
        ("-a always,exit -S open,,close", "empty syscall name"),
        ("-a always,exit -S", "option -S needs a value"),
        ("--backlog_wait_time", "needs a value"),
        ("-a always,exit foo", "is not an option"),
        ("-D -k foo", "on a line of its own"),
        ("-a always,exit -e 1", "on a line of its own"),
        ("-e 1 -a always,exit", "on a line of its own"),
        ("-l", "lists rules"),
        ("-R other.rules", "nesting is not supported"),
        ("-d always,exit -S open", "deletes a rule"),
        ("-S open", "nothing to add"),
        ("-a always,exit -F path=/a\tb", "control character"),
        ("-w /etc/\x00passwd", "NUL byte"),
        ("-w /" + "a" * 7000, "auditctl reads at most"),
    ],
)
def test_syntax_errors_name_the_line_and_the_problem(line: str, message: str) -> None:
    result = parse("-w /etc/ok -p r -k ok\n" + line + "\n", "f.rules")
    assert len(result.rules) == 1  # the good line survives, the bad one is reported
    (diag,) = result.diagnostics
    assert diag.loc == SourceLoc("f.rules", 2)
    assert diag.severity is Severity.ERROR
    assert message in diag.message
    assert str(diag).startswith("f.rules:2: error: ")


def test_attached_option_values_and_long_options_are_read_like_getopt() -> None:
    rules = parse(
        "-aalways,exit -Farch=b64 -Sopen -kk\n--backlog_wait_time=60000\n--loginuid-immutable\n-ic"
    ).rules
    assert rules[0] == parse("-a always,exit -F arch=b64 -S open -k k").rules[0]
    assert rules[1] == ControlRule(option="--backlog_wait_time", value="60000")
    assert rules[2] == ControlRule(option="--loginuid-immutable")
    assert len(rules) == 3  # "-ic" has two control options on one line: an error
    assert not parse("-ic").ok


def test_list_and_action_are_accepted_in_either_order() -> None:
    a, b, c = parse("-a exit,always -S open\n-a always,exit -S open\n-A never,task").rules
    assert a == b
    assert isinstance(c, AuditRule)
    assert (c.prepend, c.list, c.action) == (True, "task", "never")


def test_corpus_style_rules_check_clean() -> None:
    text = (
        "-D\n-b 8192\n-f 1\n--backlog_wait_time 60000\n"
        "-a always,exit -F arch=b32 -S open -F a1&03 -F path=/etc/shadow -F auid>=1000 "
        "-F auid!=unset -F key=user-modify\n"
        "-a always,exit -F arch=b64 -S open -F a1&03 -F path=/etc/shadow -F auid>=1000 "
        "-F auid!=unset -F key=user-modify\n"
        "-a always,exit -F dir=/etc/sudoers.d/ -F perm=wa -F key=actions\n"
        "-a never,filesystem -F fstype=tracefs\n"
        "-a always,exclude -F msgtype=CWD\n"
        "-a always,user -F uid=0\n"
        "-e 2\n"
    )
    assert check(text).diagnostics == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-a always,exit -F arch=b64 -S opne", "unknown syscall 'opne' for x86_64"),
        ("-a always,exit -F arch=b64 -S 9999", "out of range"),
        ("-a always,exit -S open -F arch=b64", "arch must come before -S"),
        ("-w /etc/x -F arch=b64", "arch must come before -S"),
        ("-a always,exit -F arch=b65 -S open", "unknown arch"),
        ("-a always,exit -F arch>b64 -S open", "operator > is not valid for arch"),
        ("-a always,exit -F uid&=1 -S open", "operator &= is not valid for uid"),
        ("-a always,exit -F foo=1 -S open", "unknown field 'foo'"),
        ("-a always,exit -F key!=x -S open", "key takes only '='"),
        ("-a always,task -S open", "-S is not allowed on the task list"),
        ("-a always,user -S open", "-S is not allowed on the user list"),
        ("-a always,exclude -S open", "-S is not allowed on the exclude list"),
        ("-a always,exit -F msgtype=CWD -S open", "msgtype is allowed only on"),
        ("-a always,user -F exit=-EPERM", "exit is allowed only on the exit list"),
        ("-a always,exclude -F euid=0", "cannot be used on the exclude list"),
        ("-a never,filesystem -F uid=0", "takes only fstype"),
        ("-a always,task -F sessionid=1", "sessionid is allowed only"),
        ("-a always,exit -F exit=-EFOO -S open", "unknown errno name 'EFOO'"),
        ("-a always,exclude -F msgtype=NOPE", "unknown message type"),
        ("-a always,exit -F perm=rq", "permission 'q' is not one of"),
        ("-a always,exit -F perm=rwxaa", "1 to 4 of r, w, x, a"),
        ("-a always,exit -F perm!=r", "operator != is not valid for perm"),
        ("-a always,exit -F filetype=pipe -S open", "unknown file type"),
        ("-a never,filesystem -F fstype=ext9", "unknown filesystem type"),
        ("-a always,exit -F pid=abc -S open", "pid must be a number"),
        ("-a always,exit -F a0=0x1FFFFFFFF -S open", "does not fit in 32 bits"),
        ("-a always,exit -F a0=12abc -S open", "a0 must be a number"),
        ("-a always,exit -F saddr_fam=99 -S connect", "not an address family"),
        ("-a always,exit -F path=etc/passwd", "must be an absolute path"),
        ("-a always,exit -F path=/etc/", "must not end in '/'"),
        ("-a always,exit -F path=/a -F dir=/b", "at most one path"),
        ("-a always,exit -F path=/a -F inode=3", "both a path and an inode"),
        ("-w etc/passwd", "must start with '/'"),
        ("-w /" + "a" * 300, "longer than 255"),
        ("-a always,exit -C uid=gid -S open", "cannot compare uid with gid"),
        ("-a always,exit -C uid>euid -S open", "-C takes only = or !="),
        ("-a always,task -C uid!=euid", "-C is allowed only on the exit list"),
        ("-a always,exit -k early -S open", "-k must follow a watch or -S"),
        ("-a always,exit -F exit=-EPERM -k k", "-k must follow"),
        ("-a always,user -F uid=0 -F key=x", "a key needs a syscall"),
        ("-a always,exit -S open -k " + "k" * 257, "the limit is 256"),
        ("-a always,exit -S open -k " + "k" * 200 + " -k " + "k" * 56, "the limit is 256"),
        ("-a always,entry -S open", "entry list was removed"),
        ("-a always,bogus -S open", "unknown list 'bogus'"),
        ("-e 3", "-e must be 0, 1 or 2"),
        ("-f x", "-f must be 0, 1 or 2"),
        ("-b lots", "-b must be a number"),
        ("-r 99999999999", "-r must be a number"),
        ("-a always,exit -S open" + " -F a0=1" * 64, "more than 63 fields"),
    ],
)
def test_validation_errors_match_auditctl(line: str, message: str) -> None:
    found = errors(line)
    assert any(message in m for m in found), found


def test_architecture_changes_the_syscall_table() -> None:
    assert errors("-a always,exit -F arch=b64 -S open", arch="aarch64")  # no open() there
    assert errors("-a always,exit -F arch=b64 -S openat", arch="aarch64") == []
    assert errors("-a always,exit -F arch=b32 -S open", arch="aarch64") == []  # arm has it
    assert errors("-a always,exit -F arch=b32 -S socketcall") == []  # i386 only
    assert errors("-a always,exit -F arch=b64 -S socketcall")
    assert errors("-a always,exit -F arch=b64 -S open", arch="i386") == ["arch=b64 on 32-bit i386"]
    with pytest.raises(ValueError, match="unknown architecture"):
        validate([], arch="vax")


def test_lint_warnings() -> None:
    assert warnings("-a always,exit -F arch=b64 -S ptrace -k t") == ["audit.missing-32bit-twin"]
    twins = "-a always,exit -F arch=b64 -S ptrace -k t\n-a always,exit -F arch=b32 -S ptrace -k t"
    assert warnings(twins) == []
    mixed = (
        "-a always,exit -F arch=b64 -S ptrace -k t\n-a always,exit -F arch=b32 -S ptrace -F key=t"
    )
    assert warnings(mixed) == []
    assert warnings("-a always,exit -S open -k t") == ["audit.arch-missing"]
    dup = "-w /etc/hosts -p wa -k a\n-w /etc/hosts/ -p wa -k a\n"
    assert warnings(dup) == ["audit.deprecated-watch", "audit.duplicate"]
    shadow = (
        "-a always,exit -F arch=b32 -S ptrace -k t\n-a always,exit -F arch=b64 -S ptrace -k t\n"
        "-a always,exit -F arch=b64 -S ptrace -F a0=0x4 -k inj\n"
    )
    assert warnings(shadow) == ["audit.missing-32bit-twin", "audit.shadowed"]
    assert warnings("-w /etc/x -p wa -F auid>=1000 -k x") == ["audit.deprecated-watch"]
    assert warnings("-e 2\n-w /etc/x -p wa -k x") == ["audit.enable-not-last"]
    assert warnings("-w /etc/x -p wa -k x\n-e 2") == []
    assert warnings("-a always,exit -F auid=0") == ["audit.no-syscall"]
    assert warnings("-a always,exit -S all -F uid=nosuchuser -k x") == ["audit.unresolved"]
    numbered = "-a always,exit -F arch=b32 -S 1000 -k n\n-a always,exit -F arch=b64 -S 1000 -k n"
    assert warnings(numbered) == ["audit.syscall-number", "audit.syscall-number"]


@pytest.mark.parametrize(
    ("line", "listed"),
    [
        ("-w /etc/hosts -p wa -k k", "-w /etc/hosts -p wa -k k"),
        ("-w /nonexistent/dir/ -k k", "-w /nonexistent/dir -p rwxa -k k"),
        ("-w /etc/hosts -k a -k b", "-w /etc/hosts -p rwxa -k a -k b"),
        (
            "-a exit,always -F arch=b64 -S openat,open -S 0x2 -F key=k -F loginuid>=1000",
            "-a always,exit -F arch=b64 -S open,openat -F auid>=1000 -F key=k",
        ),
        (
            "-a always,exit -F arch=b32 -S open -F a1&01003 -F exit=-EPERM -F auid!=unset -k k",
            "-a always,exit -F arch=b32 -S open -F a1&0x203 -F exit=-EPERM -F auid!=-1 -F key=k",
        ),
        (
            "-a always,exit -F arch=i386 -S open -F exit=EACCES -F a0=-1 -F uid=-5 -k k",
            "-a always,exit -F arch=b32 -S open -F exit=13 -F a0=0xFFFFFFFF -F uid=-5 -F key=k",
        ),
        (
            "-a always,exit -F arch=b64 -S execve -C euid!=uid -F euid=0 -k k",
            "-a always,exit -F arch=b64 -S execve -C uid!=euid -F euid=0 -F key=k",
        ),
        (
            "-a always,exit -F path=/etc/passwd -F perm=wa -F auid>=1000 -k k",
            "-a always,exit -S all -F path=/etc/passwd -F perm=wa -F auid>=1000 -F key=k",
        ),
        ("-a always,exit -F dir=/etc/x/ -F perm=wa -F key=k", "-w /etc/x/ -p wa -k k"),
        (
            "-a always,exit -S all -F exit=-1 -F key=k",
            "-a always,exit -S all -F exit=-EPERM -F key=k",
        ),
        (
            "-a always,exit -F arch=b64 -S open -F filetype=file -F inode=123 "
            "-F sessionid=unset -k k",
            "-a always,exit -F arch=b64 -S open -F filetype=32768 -F inode=123 -F sessionid=-1 "
            "-F key=k",
        ),
        (
            "-a never,filesystem -F fstype=tracefs -k k",
            "-a never,filesystem -F fstype=tracefs -F key=k",
        ),
        ("-a always,exclude -F msgtype=1307", "-a always,exclude -F msgtype=CWD"),
        ("-a always,exclude -F msgtype=9999", "-a always,exclude -F msgtype=9999"),
        ("-a never,task", "-a never,task"),
        (
            "-a always,exit -F arch=aarch64 -S openat -k k",
            "-a always,exit -F arch=b64 -S openat -F key=k",
        ),
        (
            "-a always,exit -F arch=b64 -S all -F uid=root -k k",
            "-a always,exit -F arch=b64 -S all -F uid=0 -F key=k",
        ),
        ("-e 2", "-e 2"),
    ],
)
def test_normalise_prints_what_auditctl_lists(line: str, listed: str) -> None:
    (rule,) = parse(line).rules
    assert normalise(rule, arch="x86_64") == listed


def test_normalise_refuses_an_invalid_rule_with_its_location() -> None:
    (rule,) = parse("-a always,exit -S nosuchcall", "x.rules").rules
    with pytest.raises(SourceError, match=r"x.rules:1: cannot normalise .*nosuchcall"):
        normalise(rule)


def test_render_round_trips_and_is_deterministic() -> None:
    text = (
        "-D\n-b 8192\n-w /etc/hosts -p wa -k net\n"
        "-A never,exit -S open -F arch=b64 -C auid!=obj_uid -F key=a -k b\n"
        "--backlog_wait_time 60000\n--loginuid-immutable\n-e 2\n"
    )
    rules = parse(text).rules
    assert render(rules) == text
    assert parse(render(rules)).rules == rules


def test_merge_orders_control_lines_like_augenrules_and_drops_duplicates() -> None:
    first = parse("-D\n-b 100\n-f 1\n-w /etc/a -p wa -k a\n-e 2\n-r 10\n", "ns1").rules
    second = parse("-b 8192\n-w /etc/a/ -p wa -k a\n-e 1\n-w /etc/b -p wa -k b\n-i\n", "ns2").rules
    merged = merge([first, second])
    assert render(merged) == (
        "-D\n-b 8192\n-f 1\n-w /etc/a -p wa -k a\n-r 10\n-w /etc/b -p wa -k b\n-i\n-e 1\n"
    )
    assert merged[3].loc.path == "ns1"  # the first of two duplicates is kept
    assert merge([first, second]) == merged
    assert merge([]) == ()
    bad = parse("-a always,exit -S nosuch -k x\n-a always,exit -S nosuch -k x").rules
    assert len(merge([bad])) == 1


def test_shadowing_on_lists_without_syscalls_and_with_many_conditions() -> None:
    task = "-a never,task -F uid=0\n-a always,task -F uid=0 -F gid=0\n"
    assert warnings(task) == ["audit.shadowed"]
    many = " ".join(f"-F a{i % 4}!={i}" for i in range(12))
    text = (
        "-a always,exit -F arch=b32 -S open -k a\n-a always,exit -F arch=b64 -S open -k a\n"
        f"-a always,exit -F arch=b64 -S open {many} -k b\n"
    )
    assert warnings(text) == ["audit.missing-32bit-twin", "audit.shadowed"]
    prepended = "-A always,exit -F arch=b64 -S all -k a\n-a always,exit -F arch=b64 -S open -k b"
    assert "audit.shadowed" not in warnings(prepended)
    appended_first = (
        "-a always,exit -F arch=b64 -S all -k a\n-A always,exit -F arch=b64 -S open -k b"
    )
    assert "audit.shadowed" not in warnings(appended_first)


def test_validate_checks_hand_made_rules_too() -> None:
    (diag,) = validate([AuditRule(list="bogus", parts=(Syscalls(("open",)),))])
    assert diag.code == "audit.list"
    assert "unknown list 'bogus'" in diag.message
    (warn,) = validate([AuditRule(list="io_uring", parts=(Syscalls(("openat",)), Key("k")))])
    assert warn.code == "audit.list"
    assert warn.severity is Severity.WARNING


def test_listing_groups_by_list_with_prepends_first() -> None:
    rules = parse(
        "-D\n-a never,filesystem -F fstype=tracefs\n-a always,exit -F arch=b64 -S open -k a\n"
        "-a always,exclude -F msgtype=CWD\n-A never,exit -F arch=b64 -S close\n"
        "-a always,user -F uid=0\n-w /etc/hosts -p wa -k h\n"
    ).rules
    assert listing(rules, arch="x86_64") == (
        "-a always,user -F uid=0",
        "-a never,exit -F arch=b64 -S close",
        "-a always,exit -F arch=b64 -S open -F key=a",
        "-w /etc/hosts -p wa -k h",
        "-a always,exclude -F msgtype=CWD",
        "-a never,filesystem -F fstype=tracefs",
    )
