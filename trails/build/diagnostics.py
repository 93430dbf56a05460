"""Diagnostics as text for people, JSON for scripts, annotations for GitHub Actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trails.errors import CheckFailed
from trails.models.diagnostic import Diagnostic, Severity


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(d: Diagnostic) -> str:
    """One GitHub Actions workflow command: ``::error file=..,line=..::message``."""
    props = f"file={_escape_property(d.loc.path)}"
    if d.loc.line:
        props += f",line={d.loc.line}"
    if d.code:
        props += f",title={_escape_property('trails ' + d.code)}"
    return f"::{d.severity.value} {props}::{_escape_data(d.message)}"


def as_json(diags: Sequence[Diagnostic], namespaces: Sequence[str]) -> dict[str, Any]:
    return {
        "diagnostics": [d.as_dict() for d in diags],
        "errors": sum(d.severity is Severity.ERROR for d in diags),
        "warnings": sum(d.severity is Severity.WARNING for d in diags),
        "namespaces": list(namespaces),
    }


def errors_of(diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.severity is Severity.ERROR]


def failure(diags: Sequence[Diagnostic], consequence: str) -> CheckFailed:
    """The one-line error for a failed build: the error itself, or how many there were."""
    errors = errors_of(diags)
    if len(errors) == 1:
        return CheckFailed(f"{errors[0].loc}: {errors[0].message}; {consequence}")
    return CheckFailed(f"{len(errors)} errors in the policy sources (listed above); {consequence}")
