"""Differential fuzzing against the kernel: random rules are loaded with our key; the
engine and auditctl must agree on refusal, and ``auditctl -l`` must print exactly what
``normalise`` predicts."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.audit_rules.kernel import KernelRules, skip_without_kernel
from trails.audit_rules import AuditRule, check, normalise, tables
from trails.models.diagnostic import Severity

COMMON = sorted(set(tables.syscalls("x86_64")) & set(tables.syscalls("i386")))
U32 = st.integers(min_value=0, max_value=2**32 - 1)
NUMBER = st.one_of(
    U32.map(str), U32.map(hex), st.integers(min_value=1, max_value=2**31 - 1).map(lambda n: f"-{n}")
)
UID_FIELD = st.sampled_from(["uid", "euid", "suid", "fsuid", "auid", "loginuid", "obj_uid"])
GID_FIELD = st.sampled_from(["gid", "egid", "sgid", "fsgid", "obj_gid"])
CMP = st.sampled_from(["=", "!=", "<", ">", "<=", ">="])
ANY_OP = st.sampled_from(["=", "!=", "<", ">", "<=", ">=", "&", "&="])
ERRNO = st.sampled_from(sorted(tables.errnos()))
FIELD = st.one_of(
    st.builds(
        "-F {}{}{}".format, UID_FIELD, CMP, st.one_of(NUMBER, st.just("unset"), st.just("root"))
    ),
    st.builds("-F {}{}{}".format, GID_FIELD, CMP, st.one_of(U32.map(str), st.just("root"))),
    st.builds("-F a{}{}{}".format, st.integers(0, 3), ANY_OP, NUMBER),
    st.builds("-F exit{}{}".format, CMP, st.one_of(NUMBER, ERRNO.map(lambda e: f"-{e}"), ERRNO)),
    st.builds("-F success={}".format, st.integers(0, 1)),
    st.builds("-F pid{}{}".format, CMP, U32.map(str)),
    st.builds("-F sessionid{}{}".format, CMP, st.one_of(U32.map(str), st.just("unset"))),
    st.builds(
        "-F filetype{}{}".format,
        st.sampled_from(["=", "!="]),
        st.sampled_from(sorted(tables.filetypes())),
    ),
    st.builds(
        "-C {}{}{}".format,
        st.shared(st.sampled_from(tables.COMPARE_PAIRS), key="p").map(lambda p: p[0]),
        st.sampled_from(["=", "!="]),
        st.shared(st.sampled_from(tables.COMPARE_PAIRS), key="p").map(lambda p: p[1]),
    ),
    st.builds("-F perm={}".format, st.sampled_from(["r", "w", "x", "a", "wa", "rwxa", "rx"])),
)


@st.composite
def syscall_rule(draw: st.DrawFn) -> str:
    arch = draw(st.sampled_from(["b64", "b32"]))
    calls = draw(st.lists(st.sampled_from(COMMON), min_size=1, max_size=5, unique=True))
    calls_text = "all" if draw(st.integers(0, 9)) == 0 else ",".join(calls)
    fields = draw(st.lists(FIELD, max_size=5))
    action = draw(st.sampled_from(["always", "never"]))
    return f"-a {action},exit -F arch={arch} -S {calls_text} {' '.join(fields)}".strip()


WATCH = st.builds(
    "-w {} -p {}".format,
    st.sampled_from(["/etc/hosts", "/etc/passwd", "/etc/", "/var/log/", "/etc/nonexistent"]),
    st.sampled_from(["r", "w", "wa", "rwxa", "x"]),
)


@pytest.mark.kernel
@settings(
    max_examples=int(os.environ.get("TRAILS_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.one_of(syscall_rule(), WATCH))
def test_engine_and_kernel_agree_on_random_rules(text: str) -> None:
    """Refused by us <=> refused by auditctl/the kernel; accepted => listed as normalised."""
    kernel = KernelRules(skip_without_kernel())
    try:
        result = check(f"{text} -k {kernel.key}")
        errors = [d.message for d in result.diagnostics if d.severity is Severity.ERROR]
        (rule,) = result.rules
        assert isinstance(rule, AuditRule)
        out = kernel.add(rule)
        if errors:
            assert out.returncode != 0, f"auditctl accepted what we refused: {errors}"
        elif out.returncode != 0:  # an earlier example loaded the same rule
            assert "Rule exists" in out.stderr, out.stderr
        else:
            assert kernel.listed() == [normalise(rule)]
    finally:
        kernel.cleanup()
