"""Inline silencing: ``# trails: ignore[code] reason`` on the line of a warning.

A YAML comment on the line a warning points at, or on the line just above it (a query's
name, whose warnings point at the query's first key), silences that warning, and only
warnings with that code, when it gives a reason. Errors are never silenced: a config osquery would
refuse, or a query it cannot run, stays an error. Each comment is itself checked, so a
silencing cannot rot unseen:

- ``ignore.reason``: no reason given (nothing is silenced);
- ``ignore.unknown-code``: the code is none of trails' codes (with "did you mean");
- ``ignore.error``: the diagnostic on that line is an error, which cannot be silenced;
- ``ignore.unused``: nothing with that code is reported on that line.

Several codes may share one comment: ``# trails: ignore[query.platform, option.cli-only]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from trails.errors import SourceLoc
from trails.models.diagnostic import Diagnostic, Severity, did_you_mean

_COMMENT = re.compile(r"#\s*trails:\s*ignore\[([^\]]*)\]\s*(.*?)\s*$")

# Every code trails' lint can report (tests/build/test_one_pass.py keeps this complete).
KNOWN_CODES = frozenset(
    {
        *(
            f"audit.{c}"
            for c in (
                "arch-missing",
                "arch-order",
                "compare",
                "control",
                "control-refused",
                "deprecated-watch",
                "duplicate",
                "enable-not-last",
                "field",
                "field-list",
                "fields",
                "file",
                "key",
                "limit",
                "list",
                "no-syscall",
                "operator",
                "path",
                "rules",
                "shadowed",
                "syntax",
                "syscall",
                "syscall-list",
                "syscall-number",
                "unresolved",
                "value",
            )
        ),
        *(
            f"exception.{c}"
            for c in (
                "control",
                "duplicate",
                "empty",
                "expired",
                "expires",
                "expiring",
                "id",
                "key",
                "limit",
                "missing",
                "namespace",
                "type",
                "unscheduled",
            )
        ),
        "include.clash",
        "include.pack",
        "include.symlink",
        "merge.override-unused",
        "merge.redefined",
        "pack.reserved",
        "pack.yaml",
        *(
            f"policy.{c}"
            for c in (
                "inherit",
                "namespace",
                "parse",
                "platform",
                "reserved",
                "schema",
                "symlink",
                "tags",
                "template",
                "template-limit",
                "yaml",
            )
        ),
        "query.interval",
        "query.platform",
        "query.reserved",
        "query.shard",
        *(
            f"sql.{c}"
            for c in (
                "empty",
                "not-select",
                "platform",
                "required-column",
                "syntax",
                "too-long",
                "unknown-column",
                "unknown-function",
                "unknown-table",
                "view-name",
            )
        ),
        "option.unknown",
        "option.type",
        "option.cli-only",
        "ignore.reason",
        "ignore.unknown-code",
        "ignore.error",
        "ignore.unused",
        "repo",
    }
)


def _warning(loc: SourceLoc, message: str, code: str) -> Diagnostic:
    return Diagnostic(loc, Severity.WARNING, message, code)


def comments(text: str) -> Iterable[tuple[int, list[str], str]]:
    """(line, codes, reason) of each ``# trails: ignore[...]`` comment in ``text``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "trails:" not in line:
            continue
        found = _COMMENT.search(line)
        if found:
            codes = [c.strip() for c in found.group(1).split(",") if c.strip()]
            yield number, codes, found.group(2)


def apply_ignores(diags: Iterable[Diagnostic], sources: Mapping[str, Path]) -> list[Diagnostic]:
    """``diags`` minus the warnings silenced in ``sources`` (display path -> file), plus
    a warning for each comment that is malformed, unknown, aimed at an error, or unused."""
    kept = list(diags)
    by_line: dict[tuple[str, int], list[Diagnostic]] = {}
    for d in kept:
        by_line.setdefault((d.loc.path, d.loc.line), []).append(d)
    silenced: set[Diagnostic] = set()
    added: list[Diagnostic] = []
    for display, path in sorted(sources.items()):
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeError):
            continue  # unreadable files are reported by the loader
        for line, codes, reason in comments(text):
            loc = SourceLoc(display, line)
            # a mapping's diagnostics point at its first key, the line below its name
            here = by_line.get((display, line), []) + by_line.get((display, line + 1), [])
            if not codes:
                added.append(_warning(loc, "trails: ignore[] names no code", "ignore.unknown-code"))
            for code in codes:
                if code not in KNOWN_CODES:
                    hint = did_you_mean(code, KNOWN_CODES)
                    added.append(
                        _warning(
                            loc,
                            f"trails: ignore[{code}]: no such code{hint}",
                            "ignore.unknown-code",
                        )
                    )
                    continue
                if not reason:
                    added.append(
                        _warning(
                            loc,
                            f"trails: ignore[{code}] needs a reason after it; nothing silenced",
                            "ignore.reason",
                        )
                    )
                    continue
                matching = [d for d in here if d.code == code]
                if not matching:
                    added.append(
                        _warning(
                            loc, f"trails: ignore[{code}]: no {code} on this line", "ignore.unused"
                        )
                    )
                for d in matching:
                    if d.severity is Severity.ERROR:
                        added.append(
                            _warning(
                                loc,
                                f"trails: ignore[{code}] cannot silence an error; fix it instead",
                                "ignore.error",
                            )
                        )
                    else:
                        silenced.add(d)
    return [d for d in kept if d not in silenced] + added
