"""Property tests: render(parse(x)) parses to the same rules; nothing ever raises."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trails.audit_rules import (
    AuditRule,
    Compare,
    ControlRule,
    FieldCond,
    Key,
    Perm,
    Rule,
    Syscalls,
    check,
    normalise,
    parse,
    render,
    tables,
)
from trails.models.diagnostic import Severity

# Text auditctl keeps in one token: no spaces or control characters, no operator chars.
TOKEN = st.text(
    alphabet=st.characters(
        min_codepoint=0x21, max_codepoint=0x2FF, exclude_characters="=!<>&,#\x7f"
    ),
    min_size=1,
    max_size=12,
)
OP = st.sampled_from(["=", "!=", ">=", "<=", "&=", ">", "<", "&"])
PART = st.one_of(
    st.builds(Syscalls, st.lists(TOKEN, min_size=1, max_size=4).map(tuple)),
    st.builds(FieldCond, TOKEN.filter(lambda t: t != "key"), OP, TOKEN),
    st.builds(Compare, TOKEN, st.sampled_from(["=", "!="]), TOKEN),
    st.builds(Key, TOKEN, st.booleans()),
    st.builds(Perm, TOKEN),
)
AUDIT_RULE = st.builds(
    AuditRule,
    list=st.sampled_from(tables.LISTS),
    action=st.sampled_from(["always", "never"]),
    prepend=st.booleans(),
    parts=st.lists(PART, max_size=6).map(tuple),
)
WATCH = st.builds(
    AuditRule,
    watch=TOKEN,
    parts=st.lists(st.one_of(st.builds(Perm, TOKEN), st.builds(Key, TOKEN)), max_size=3).map(tuple),
)
CONTROL = st.one_of(
    st.builds(ControlRule, option=st.sampled_from(["-D", "-i", "-c", "--loginuid-immutable"])),
    st.builds(
        ControlRule,
        option=st.sampled_from(["-b", "-f", "-e", "-r", "--backlog_wait_time"]),
        value=TOKEN,
    ),
)
RULES = st.lists(st.one_of(AUDIT_RULE, WATCH, CONTROL), max_size=8)


def _fix(rule: Rule) -> bool:
    """A -F value starting with 'key=' is a key to auditctl: not a FieldCond."""
    return not (
        isinstance(rule, AuditRule)
        and any(isinstance(p, FieldCond) and p.name.startswith("key") for p in rule.parts)
    )


@given(RULES.filter(lambda rs: all(_fix(r) for r in rs)))
def test_render_then_parse_gives_the_same_rules(rules: list[Rule]) -> None:
    text = render(rules)
    result = parse(text)
    assert result.diagnostics == ()
    assert result.rules == tuple(rules)
    assert render(result.rules) == text


@given(st.text(max_size=300))
def test_parse_and_check_never_raise(text: str) -> None:
    result = check(text)
    assert all(d.loc.line >= 1 for d in result.diagnostics)


@given(
    st.lists(
        st.sampled_from(
            [
                "-a",
                "always,exit",
                "-S",
                "open",
                "-F",
                "uid=0",
                "-k",
                "x",
                "-w",
                "/etc",
                "-p",
                "wa",
                "-C",
                "uid!=euid",
                "-e",
                "2",
            ]
        ),
        max_size=12,
    )
)
def test_token_soup_never_raises(tokens: list[str]) -> None:
    check(" ".join(tokens))


X86 = sorted(tables.syscalls("x86_64"))
VALID_FIELDS = st.sampled_from(
    [
        "-F auid>=1000",
        "-F auid!=unset",
        "-F uid=0",
        "-F euid!=0",
        "-F success=1",
        "-F exit=-EACCES",
        "-F exit=-EPERM",
        "-F a0=0x4",
        "-F a1&03",
        "-F a2&=0100",
        "-F pid>1",
        "-F gid=0",
        "-F sessionid!=unset",
        "-C uid!=euid",
        "-C auid!=obj_uid",
        "-F filetype=file",
        "-F exe=/usr/bin/su",
    ]
)


@given(
    st.sampled_from(["b64", "b32"]),
    st.lists(st.sampled_from(X86), min_size=1, max_size=6, unique=True),
    st.lists(VALID_FIELDS, max_size=5, unique=True),
)
def test_valid_rules_check_clean_and_normalise(
    arch: str, calls: list[str], fields: list[str]
) -> None:
    if arch == "b32":
        calls = [c for c in calls if c in tables.syscalls("i386")] or ["open"]
    line = f"-a always,exit -F arch={arch} -S {','.join(calls)} {' '.join(fields)} -k prop"
    result = check(line)
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    listed = normalise(result.rules[0], arch="x86_64")
    assert listed.startswith(f"-a always,exit -F arch={arch} -S ")
    assert listed.endswith(" -F key=prop")
