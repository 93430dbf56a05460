"""Host-side glob expansion: auditctl has no globs, so the agent expands them at apply time.

A watch or a ``-F path=``/``-F dir=`` naming a glob (``*``, ``?``, ``[``) becomes one
concrete rule per match under ``root``, in sorted order. The build keeps the glob; only
the host knows which files exist. The count is bounded: past ``max_rules`` the whole
expansion fails with :class:`GlobExpansionError`, so a pattern that matches a huge tree
cannot flood the kernel's rule list.
"""

from __future__ import annotations

import glob
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path

from trails.audit_rules.model import AuditRule, FieldCond, Rule
from trails.errors import CheckFailed

_GLOB_CHARS = frozenset("*?[")
_UNWRITABLE = re.compile(r"[\x00-\x20\x7f]")


class GlobExpansionError(CheckFailed):
    """A glob matched more files than the bound allows."""


def has_glob(path: str) -> bool:
    return not _GLOB_CHARS.isdisjoint(path)


def _matches(rule: AuditRule, pattern: str, root: Path, limit: int, dirs_only: bool) -> list[str]:
    full = os.path.join(glob.escape(str(root)), pattern.lstrip("/"))
    found = (m for m in glob.iglob(full) if not dirs_only or os.path.isdir(m))
    matches = sorted(itertools.islice(found, limit))
    for path in matches:
        # auditctl splits rule lines on spaces and has no quoting: a file name with a
        # space would inject options into the rule file. Fail closed.
        if _UNWRITABLE.search(path):
            raise GlobExpansionError(
                f"{rule.loc}: glob {pattern!r} matched {path!r}, which a rule file cannot "
                "hold (space or control character); rename it or narrow the pattern"
            )
    return matches


def _expand_one(rule: AuditRule, root: Path, limit: int) -> list[AuditRule] | None:
    if rule.watch is not None and has_glob(rule.watch):
        matches = _matches(rule, rule.watch, root, limit, dirs_only=False)
        return [
            AuditRule(
                loc=rule.loc,
                list=rule.list,
                action=rule.action,
                prepend=rule.prepend,
                watch=m,
                parts=rule.parts,
            )
            for m in matches
        ]
    for i, part in enumerate(rule.parts):
        if isinstance(part, FieldCond) and part.name in ("path", "dir") and has_glob(part.value):
            matches = _matches(rule, part.value, root, limit, dirs_only=part.name == "dir")
            return [
                rule.with_parts(
                    (*rule.parts[:i], FieldCond(part.name, part.op, m), *rule.parts[i + 1 :])
                )
                for m in matches
            ]
    return None


def expand_globs(
    rules: Sequence[Rule], *, root: Path = Path("/"), max_rules: int = 1000
) -> tuple[Rule, ...]:
    """Replace each glob rule by one rule per match under ``root`` (the matched paths,
    which are the host's own paths when ``root`` is ``/``). A glob with no match yields
    no rule. Raises :class:`GlobExpansionError` when the result would pass ``max_rules``."""
    out: list[Rule] = []
    for rule in rules:
        expanded = _expand_one(rule, root, max_rules + 1) if isinstance(rule, AuditRule) else None
        out.extend([rule] if expanded is None else expanded)
        if len(out) > max_rules:
            raise GlobExpansionError(
                f"{rule.loc}: audit rule globs expand to more than {max_rules} rules; "
                "narrow the pattern or raise the limit"
            )
    return tuple(out)
