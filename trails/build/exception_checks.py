"""Exceptions across the policy repository: what one entry alone cannot tell.

Ids are unique across the repository; a control must be one of the packs' catalog (the
id results carry); each ``namespaces`` entry must cover a namespace that exists. Against
the clock: an exception that has expired no longer applies (``exception.expired``) and
one ending within 14 days needs renewing (``exception.expiring``). After the namespaces
are merged: an exception none of whose namespaces schedules its control can never apply
(``exception.unscheduled``). Warnings never fail a build; errors do, like any other.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trails.build.exception_entries import Declared, FileExceptions, read_exceptions
from trails.build.policy import Repository, error
from trails.errors import SourceError, SourceLoc
from trails.formats.exceptions import ControlException, exceptions_bytes
from trails.formats.manifest import format_time
from trails.models.diagnostic import Diagnostic, Severity, did_you_mean
from trails.packs.catalog import load_catalog

EXPIRING_WITHIN = timedelta(days=14)


@dataclass(frozen=True)
class RepositoryExceptions:
    declared: tuple[Declared, ...]  # well-formed, unique, of a known control and namespace
    diagnostics: tuple[Diagnostic, ...]

    def applying(self, namespace: str) -> list[ControlException]:
        return [d.exception for d in self.declared if d.applies_to(namespace)]

    def release_bytes(self, namespace: str) -> bytes:
        """``exceptions.json`` of ``namespace``'s release; empty when none applies."""
        found = self.applying(namespace)
        return exceptions_bytes(namespace, found) if found else b""


def _files_state(packs_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file under ``packs_dir`` with its mtime and size: a catalog's cache key."""
    found = []
    for dirpath, dirnames, filenames in os.walk(packs_dir):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            found.append((path, st.st_mtime_ns, st.st_size))
    return tuple(found)


@functools.lru_cache(maxsize=8)
def _control_ids(packs_dir: Path, state: tuple[tuple[str, int, int], ...]) -> frozenset[str] | str:
    try:
        return frozenset(load_catalog(packs_dir).controls)
    except SourceError as exc:
        return f"the packs catalog ({packs_dir.name}) cannot be read: {exc.loc}: {exc.message}"


def control_ids(packs_dir: Path) -> frozenset[str] | str:
    """Every control id of the packs' catalog, or why the catalog cannot be read. Loading
    it takes most of a second: a process linting again (tests, diff) reuses it while no
    file under the directory changed."""
    return _control_ids(packs_dir.resolve(), _files_state(packs_dir))


def _unique(read: Iterable[FileExceptions], diags: list[Diagnostic]) -> list[Declared]:
    """Every entry whose id was not used before (in namespace order, then line order)."""
    first: dict[str, SourceLoc] = {}
    repeated: set[SourceLoc] = set()
    for found in read:
        for ident, loc in found.ids:
            if ident in first:
                diags.append(
                    error(
                        loc,
                        f"exception id {ident} is already used at {first[ident]}; "
                        "ids are unique across the repository",
                        "exception.duplicate",
                    )
                )
                repeated.add(loc)
            else:
                first[ident] = loc
    return [d for found in read for d in found.declared if d.locs["id"] not in repeated]


def _known_scope(d: Declared, namespaces: frozenset[str], diags: list[Diagnostic]) -> bool:
    ok = True
    for entry in d.namespaces:
        if not any(ns == entry or ns.startswith(entry + "/") for ns in namespaces):
            hint = did_you_mean(entry, namespaces)
            diags.append(
                error(
                    d.locs["namespaces"],
                    f"exception {d.exception.id}: namespaces: no namespace {entry} in the "
                    f"repository{hint}",
                    "exception.namespace",
                )
            )
            ok = False
    return ok


def _known_control(d: Declared, controls: frozenset[str] | str, diags: list[Diagnostic]) -> bool:
    control = d.exception.control
    if isinstance(controls, str):
        why = f"cannot check control {control}: {controls}"
    elif control in controls:
        return True
    else:
        why = f"control {control} is in no pack's catalog{did_you_mean(control, controls)}"
    diags.append(
        error(d.locs["control"], f"exception {d.exception.id}: {why}", "exception.control")
    )
    return False


def _clock(d: Declared, now: datetime) -> list[Diagnostic]:
    expires = d.exception.expires
    when = format_time(expires)
    loc = d.locs["expires"]
    if expires <= now:
        message = (
            f"exception {d.exception.id} expired at {when} and no longer applies; remove it, "
            "or renew it with a new approval"
        )
        return [Diagnostic(loc, Severity.WARNING, message, "exception.expired")]
    if expires - now <= EXPIRING_WITHIN:
        message = (
            f"exception {d.exception.id} expires at {when}, within "
            f"{EXPIRING_WITHIN.days} days; renew it or fix the control"
        )
        return [Diagnostic(loc, Severity.WARNING, message, "exception.expiring")]
    return []


def namespaces_of(repo: Repository) -> frozenset[str]:
    """Every namespace with a policy file, usable or not."""
    return frozenset(repo.files) | frozenset(repo.broken) | frozenset(repo.partial)


def check_exceptions(repo: Repository, packs_dir: Path, now: datetime) -> RepositoryExceptions:
    """Every file's exceptions (schema-broken files too: one lint reports everything)."""
    files = sorted([*repo.files.values(), *repo.partial.values()], key=lambda p: p.namespace)
    read = [read_exceptions(p) for p in files]
    diags = [d for found in read for d in found.diagnostics]
    candidates = _unique(read, diags)
    controls = control_ids(packs_dir) if candidates else frozenset()
    known = namespaces_of(repo)
    declared = []
    for d in candidates:
        # both checks run, so one lint names both problems
        scoped = _known_scope(d, known, diags)
        if _known_control(d, controls, diags) and scoped:
            declared.append(d)
            diags.extend(_clock(d, now))
    return RepositoryExceptions(tuple(declared), tuple(diags))


def unscheduled(
    declared: Iterable[Declared],
    scheduled: Mapping[str, frozenset[str]],
    namespaces: Iterable[str],
) -> list[Diagnostic]:
    """A warning for each exception whose control no namespace it covers schedules.
    ``scheduled``: namespace -> the control ids its merged schedule runs; a namespace
    missing from it was not checked (not chosen, or it did not merge): no verdict."""
    found = []
    for d in declared:
        covered = [ns for ns in namespaces if d.applies_to(ns)]
        if not covered or any(ns not in scheduled for ns in covered):
            continue
        if not any(d.exception.control in scheduled[ns] for ns in covered):
            found.append(
                Diagnostic(
                    d.locs["control"],
                    Severity.WARNING,
                    f"exception {d.exception.id}: no namespace it covers "
                    f"({', '.join(sorted(covered))}) schedules control "
                    f"{d.exception.control}, so it can never apply",
                    "exception.unscheduled",
                )
            )
    return found
