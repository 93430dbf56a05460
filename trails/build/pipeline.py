"""Policy repository -> validated per-namespace outputs (no I/O beyond reading sources).

``compile_repository`` is what ``trails lint`` runs and what ``trails build`` and
``trails diff`` turn into files: discover and parse every policy file, merge each
namespace's chain, expand pack includes, validate everything, render the configs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trails.packs
from trails.build import audit
from trails.build.checks import check_namespace, check_unmerged
from trails.build.config import osquery_config
from trails.build.exception_checks import check_exceptions, namespaces_of, unscheduled
from trails.build.ignore import apply_ignores
from trails.build.merge import Merged, merge_namespace
from trails.build.policy import Repository, display_path, error, load_repository
from trails.errors import SourceError, SourceLoc, UsageError
from trails.formats.exceptions import MAX_EXCEPTIONS
from trails.models.canonical import canonical_json
from trails.models.diagnostic import Diagnostic, Severity
from trails.models.evidence import CONTROL_QUERY_PREFIX
from trails.models.fragment import Fragment
from trails.models.namespace import ancestors
from trails.models.yaml_source import leads_outside
from trails.osquery.schema import OsquerySchema

# Merge errors after which a namespace's queries and rules are not checked: without a
# platform, or with a template that did not render, every later finding would be noise.
CASCADING = frozenset({"policy.platform", "policy.template", "policy.template-limit"})
# A placeholder config_version for lint, which validates without a commit.
LINT_CONFIG_VERSION = "00000000000000-0000000"
Progress = Callable[[Iterable[str]], Iterator[str]]


@dataclass(frozen=True)
class CompiledNamespace:
    namespace: str
    platform: str
    tags: Mapping[str, str]
    osquery_conf: bytes
    audit_rules: bytes
    exceptions: bytes = b""  # exceptions.json; empty when no exception applies


@dataclass(frozen=True)
class CompileResult:
    namespaces: tuple[CompiledNamespace, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


class SymlinkRefused(SourceError):
    """A pack file that is a symlink leading outside the packs directory (never read)."""


# The pack loader reads <pack>/ and audit/<arch>/ (trails/packs/): both are checked.
_PACK_AUDIT_DIR = "audit"


class _Includes:
    """Pack includes, compiled once per (pack, parameters, platform) across namespaces."""

    def __init__(self, packs_dir: Path) -> None:
        self.packs_dir = packs_dir
        self._cache: dict[tuple[str, str, str], Fragment | SourceError] = {}
        self._escapes: dict[str, str | None] = {}

    def _escape(self, top: Path) -> str | None:
        """The first path under ``top`` (itself included) that is a symlink leading outside
        the packs directory, checked before the pack loader opens anything."""
        key = top.as_posix()
        if key not in self._escapes:
            self._escapes[key] = None
            base = self.packs_dir
            if top.is_symlink() or top.exists():
                found = [top] if leads_outside(top, base) else []
                # os.walk lists directory symlinks but does not descend into them.
                for dirpath, dirnames, filenames in [] if found else os.walk(top):
                    found += [
                        Path(dirpath) / name
                        for name in sorted(dirnames + filenames)
                        if (Path(dirpath) / name).is_symlink()
                        and leads_outside(Path(dirpath) / name, base)
                    ]
                    if found:
                        break
                if found:
                    self._escapes[key] = display_path(found[0], base.parent)
        return self._escapes[key]

    def get(self, ref: str, params: Mapping[str, Any], platform: str) -> Fragment:
        key = (ref, json.dumps(params, sort_keys=True, default=str), platform)
        if "/" not in ref and ref not in (".", ".."):
            for top in (self.packs_dir / ref, self.packs_dir / _PACK_AUDIT_DIR):
                if escape := self._escape(top):
                    raise SymlinkRefused(
                        SourceLoc(escape),
                        f"{escape} is a symlink leading outside {self.packs_dir.name}; "
                        "refused unread",
                    )
        if key not in self._cache:
            try:
                self._cache[key] = trails.packs.include(
                    ref, params, self.packs_dir, platform=platform
                )
            except SourceError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, SourceError):
            raise found
        return found


def _expand(m: Merged, includes: _Includes, diags: list[Diagnostic]) -> None:
    """Add the queries and audit rules of every pack include to the namespace."""
    for inc in m.includes.values():
        params = {"arch": m.arch, **inc.params}
        try:
            fragment = includes.get(inc.pack, params, m.platform)
        except SymlinkRefused as exc:
            diags.append(error(inc.loc, f"include {inc.pack}: {exc.message}", "include.symlink"))
            continue
        except SourceError as exc:
            where = f" ({exc.loc})" if exc.loc.path else ""
            diags.append(
                error(inc.loc, f"include {inc.pack}: {exc.message}{where}", "include.pack")
            )
            continue
        for q in fragment.queries:
            prev = m.schedule.get(q.name)
            if prev is not None:
                diags.append(
                    error(
                        inc.loc,
                        f"include {inc.pack}: query {q.name} ({q.loc}) clashes with {prev.loc}",
                        "include.clash",
                    )
                )
                continue
            m.schedule[q.name] = q
        known = {r.text for r in m.audit_rules}
        m.audit_rules.extend(r for r in fragment.audit_rules if r.text not in known)


def _controls(m: Merged) -> frozenset[str]:
    """The control ids a merged namespace schedules (its compiled control queries)."""
    return frozenset(
        name.removeprefix(CONTROL_QUERY_PREFIX)
        for name in m.schedule
        if name.startswith(CONTROL_QUERY_PREFIX)
    )


def _platform_of(repo: Repository, namespace: str) -> object:
    """The nearest ``platform`` a namespace's own file or an ancestor's file sets."""
    for ns in reversed(ancestors(namespace)):
        policy = repo.files.get(ns) or repo.partial.get(ns)
        if policy is not None and "platform" in policy.doc:
            return policy.doc["platform"]
    return None


def select_namespaces(repo: Repository, wanted: Iterable[str] | None) -> list[str]:
    available = sorted(set(repo.files) | set(repo.broken))
    if wanted is None:
        return available
    chosen = []
    for ns in wanted:
        if ns not in available:
            raise UsageError(
                f"no namespace {ns!r} under {repo.root}; known: {', '.join(available) or 'none'}"
            )
        chosen.append(ns)
    return sorted(set(chosen))


def compile_repository(
    policies: Path,
    *,
    schema: OsquerySchema,
    packs_dir: Path,
    display_base: Path,
    namespaces: Iterable[str] | None = None,
    config_version: str = LINT_CONFIG_VERSION,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CompileResult:
    """``now``: the clock exceptions' expiry warnings are judged by (default: the
    clock now); nothing written depends on it."""
    if not policies.is_dir():
        raise UsageError(f"policies directory {policies} does not exist")
    repo = load_repository(policies, display_base)
    diags: list[Diagnostic] = list(repo.diagnostics)
    diags.extend(repo.broken.values())
    exceptions = check_exceptions(repo, packs_dir, now or datetime.now(UTC))
    diags.extend(exceptions.diagnostics)
    scheduled: dict[str, frozenset[str]] = {}
    includes = _Includes(packs_dir)
    compiled = []
    chosen = select_namespaces(repo, namespaces)
    for ns in progress(chosen) if progress else chosen:
        broken = [a for a in repo.broken if ns == a or ns.startswith(a + "/")]
        if ns in repo.partial:
            diags.extend(check_unmerged(repo.partial[ns], _platform_of(repo, ns), schema))
        if broken:
            if ns not in repo.broken:
                leaf = repo.files[ns]
                diags.append(
                    error(
                        SourceLoc(leaf.display, 1),
                        f"inherits from {broken[0]}, whose policy file has errors",
                        "policy.inherit",
                    )
                )
            continue
        ns_diags: list[Diagnostic] = []
        m = merge_namespace(ns, repo.files, policies, ns_diags)
        rules_text = ""
        # One pass: merge errors do not stop the later checks, except those that would
        # make every later finding a follow-on error (their messages say so).
        if not any(d.code in CASCADING for d in ns_diags):
            _expand(m, includes, ns_diags)
            if not any(d.severity is Severity.ERROR for d in ns_diags):
                scheduled[ns] = _controls(m)  # else unknown: an include may have failed
            ns_diags.extend(check_namespace(m, schema))
            rules_text, rule_diags = audit.render_rules(m.audit_rules, m.arch)
            ns_diags.extend(rule_diags)
        applying = exceptions.applying(ns)
        if len(applying) > MAX_EXCEPTIONS:
            ns_diags.append(
                error(
                    SourceLoc(repo.files[ns].display, 1),
                    f"{len(applying)} exceptions apply to namespace {ns}; a release holds "
                    f"at most {MAX_EXCEPTIONS}",
                    "exception.limit",
                )
            )
        diags.extend(ns_diags)
        if any(d.severity is Severity.ERROR for d in ns_diags):
            continue
        compiled.append(
            CompiledNamespace(
                namespace=ns,
                platform=m.platform,
                tags=dict(m.tags),
                osquery_conf=canonical_json(osquery_config(m, config_version)),
                audit_rules=rules_text.encode("utf-8"),
                exceptions=exceptions.release_bytes(ns),
            )
        )
    diags.extend(unscheduled(exceptions.declared, scheduled, namespaces_of(repo)))
    sources = {f.display: f.path for f in [*repo.files.values(), *repo.partial.values()]}
    diags = apply_ignores(set(diags), sources)
    unique = sorted(set(diags), key=lambda d: (d.loc.path, d.loc.line, d.message))
    return CompileResult(tuple(compiled), tuple(unique))
