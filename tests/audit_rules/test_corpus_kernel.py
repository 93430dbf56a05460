"""The rule files Debian's auditd ships: each parses, validates, and normalises to exactly
what the real ``auditctl -l`` prints after the kernel loaded it (with our unique key)."""

from __future__ import annotations

import glob
import os
import pwd
import tempfile
from pathlib import Path

import pytest

from tests.audit_rules.kernel import KernelRules, with_key
from trails.audit_rules import (
    AuditRule,
    FieldCond,
    listing,
    merge,
    read_file,
    render,
    tables,
    validate,
    with_validation,
)
from trails.audit_rules.model import Part
from trails.audit_rules.normalise import normalise
from trails.audit_rules.render import render_rule
from trails.models.diagnostic import Severity

CORPUS_DIR = Path("/usr/share/doc/auditd/examples/rules")
CORPUS = sorted(glob.glob(str(CORPUS_DIR / "*.rules")))


def corpus_rules() -> list[AuditRule]:
    rules: list[AuditRule] = []
    for path in CORPUS:
        rules += [r for r in read_file(path).rules if isinstance(r, AuditRule)]
    return rules


RULES = corpus_rules()
# Rules on these lists cannot carry a key (auditctl refuses one), so tests never load
# them: they could not be told apart from the host's own rules.
KEYLESS_LISTS = ("task", "user", "exclude")
KERNEL_RULES = [r for r in RULES if r.list not in KEYLESS_LISTS]


def test_corpus_is_there() -> None:
    if not CORPUS:
        pytest.skip("auditd's example rules are not installed (apt-get install auditd)")
    assert len(RULES) > 150


@pytest.mark.parametrize("path", CORPUS, ids=os.path.basename)
def test_corpus_file_parses_and_validates_without_errors(path: str) -> None:
    result = with_validation(read_file(path))
    errors = [str(d) for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors == []


def _existing_parent(path: str, scratch: Path) -> str:
    """The kernel needs a watched path's parent to exist; else use the scratch dir."""
    parent = os.path.dirname(path.rstrip("/"))
    return path if os.path.isdir(parent) else str(scratch / os.path.basename(path))


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _loadable(rule: AuditRule, scratch: Path) -> AuditRule:
    """Host facts the rule needs but this machine lacks (a user, a directory) are swapped
    for ones it has (``nobody``, a scratch directory); the rule keeps its shape."""
    parts: list[Part] = []
    for part in rule.parts:
        if (
            isinstance(part, FieldCond)
            and part.name in tables.UID_FIELDS
            and not part.value[:1].isdigit()
            and part.value != "unset"
            and not _user_exists(part.value)
        ):
            parts.append(FieldCond(part.name, part.op, "nobody"))
        elif isinstance(part, FieldCond) and part.name == "dir" and not os.path.isdir(part.value):
            parts.append(FieldCond("dir", part.op, str(scratch) + "/"))
        elif isinstance(part, FieldCond) and part.name == "path":
            parts.append(FieldCond("path", part.op, _existing_parent(part.value, scratch)))
        else:
            parts.append(part)
    if rule.watch is not None:
        rule = AuditRule(
            loc=rule.loc,
            list=rule.list,
            action=rule.action,
            watch=_existing_parent(rule.watch, scratch),
            parts=rule.parts,
        )
    return rule.with_parts(tuple(parts))


@pytest.mark.kernel
@pytest.mark.parametrize("index", range(len(KERNEL_RULES)))
def test_normalise_equals_auditctl_listing(index: int, kernel: KernelRules) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        rule = with_key(_loadable(KERNEL_RULES[index], Path(scratch)), kernel.key)
        assert [d for d in validate([rule]) if d.severity is Severity.ERROR] == []
        out = kernel.add(rule)
        assert out.returncode == 0, f"auditctl refused {rule}: {out.stderr}"
        assert kernel.listed() == [normalise(rule)]
        kernel.cleanup()


@pytest.mark.kernel
def test_merged_corpus_loads_with_auditctl_R_and_lists_in_order(
    kernel: KernelRules, tmp_path: Path
) -> None:
    """The whole corpus, merged and rendered as the build writes audit.rules, loads with
    ``auditctl -R`` (rule lines only: control lines are never sent) and lists in order."""
    loadable = [with_key(_loadable(rule, tmp_path), kernel.key) for rule in KERNEL_RULES]
    merged = merge([loadable])
    assert len(merged) < len(loadable)  # same rules with one key: duplicates dropped
    path = tmp_path / "audit.rules"
    path.write_text(render(merged))
    kernel.added.extend(render_rule(r).split(" ") for r in merged)  # cleanup deletes them
    out = kernel.run(["-R", str(path)])
    assert out.returncode == 0, out.stderr
    assert tuple(kernel.listed()) == listing(merged)


def test_keyless_corpus_rules_normalise_to_auditctl_form() -> None:
    """The corpus's task-list rule is never loaded (it cannot carry a test key); its
    listing form is the action-first spelling auditctl prints."""
    keyless = [normalise(r, arch="x86_64") for r in RULES if r.list in KEYLESS_LISTS]
    if not CORPUS:
        pytest.skip("auditd's example rules are not installed (apt-get install auditd)")
    assert keyless == ["-a never,task"]
