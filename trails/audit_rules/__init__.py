"""The auditctl rule engine: parse, validate, normalise, render, merge, expand globs.

Importing this package stays light (stdlib and trails.models only): the agent's fetch
path uses it on every host before ``auditctl -R``.
"""

from __future__ import annotations

from trails.audit_rules.globs import GlobExpansionError, expand_globs
from trails.audit_rules.merge import merge
from trails.audit_rules.model import (
    AuditRule,
    Compare,
    ControlRule,
    FieldCond,
    Key,
    ParseResult,
    Perm,
    Rule,
    Syscalls,
)
from trails.audit_rules.normalise import listing, normalise
from trails.audit_rules.parser import parse
from trails.audit_rules.reader import read_file
from trails.audit_rules.render import render
from trails.audit_rules.validate import validate


def check(
    text: str, source: str = "<rules>", *, first_line: int = 1, arch: str = "x86_64"
) -> ParseResult:
    """Parse and validate: syntax errors, auditctl/kernel errors and lint warnings."""
    return with_validation(parse(text, source, first_line=first_line), arch=arch)


def with_validation(parsed: ParseResult, *, arch: str = "x86_64") -> ParseResult:
    diags = (*parsed.diagnostics, *validate(parsed.rules, arch=arch))
    ordered = sorted(diags, key=lambda d: (d.loc.path, d.loc.line))
    return ParseResult(parsed.rules, tuple(ordered))


__all__ = [
    "AuditRule",
    "Compare",
    "ControlRule",
    "FieldCond",
    "GlobExpansionError",
    "Key",
    "ParseResult",
    "Perm",
    "Rule",
    "Syscalls",
    "check",
    "expand_globs",
    "listing",
    "merge",
    "normalise",
    "parse",
    "read_file",
    "render",
    "validate",
    "with_validation",
]
