"""``include``: what a pack reference in a policy contributes to a namespace.

``params`` select controls: ``level`` (1 or 2, with ``profile``: every control of that
profile up to that level), ``profile`` (``server`` default, or ``workstation``),
``frameworks`` (only controls referencing one of them), ``exclude`` (control ids),
``arch`` (``x86_64`` default, or ``aarch64``: which audit rule files) and ``interval``
(seconds, overrides the pack's default).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trails.errors import SourceError, SourceLoc
from trails.models.evidence import control_query_name
from trails.models.fragment import AuditRuleSource, Fragment, ScheduledQuery
from trails.packs.audit import ARCHES, load_group
from trails.packs.compiler import compile_sql
from trails.packs.loader import load_pack
from trails.packs.model import PROFILES, Control, Pack
from trails.packs.templates import Context

_PACK_REF = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
_PARAMS = frozenset({"level", "profile", "frameworks", "exclude", "arch", "interval"})


def _param_error(pack: Pack, message: str) -> SourceError:
    return SourceError(pack.loc, f"include {pack.id}: {message}")


def select(pack: Pack, params: Mapping[str, Any]) -> tuple[Control, ...]:
    """The controls ``params`` pick from ``pack`` (manual ones included)."""
    unknown = sorted(set(params) - _PARAMS)
    if unknown:
        raise _param_error(pack, f"unknown parameter {unknown[0]!r}; use {sorted(_PARAMS)}")
    profile = params.get("profile", "server")
    if profile not in PROFILES:
        raise _param_error(pack, f"profile must be one of {', '.join(PROFILES)}")
    level = params.get("level")
    if level is not None and (isinstance(level, bool) or level not in (1, 2)):
        raise _param_error(pack, "level must be 1 or 2")
    frameworks = params.get("frameworks")
    if frameworks is not None and (
        not isinstance(frameworks, list) or not all(isinstance(f, str) for f in frameworks)
    ):
        raise _param_error(pack, "frameworks must be a list of framework names")
    exclude = params.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise _param_error(pack, "exclude must be a list of control ids")
    known = {c.id for c in pack.controls}
    missing = [e for e in exclude if e not in known]
    if missing:
        raise _param_error(pack, f"exclude names unknown control {missing[0]!r}")
    chosen = []
    for control in pack.controls:
        ctl_level = control.level(profile)
        if ctl_level is None and pack.framework.startswith("cis-"):
            continue  # not part of this profile
        if level is not None and ctl_level is not None and ctl_level > level:
            continue
        if frameworks is not None and not any(r.framework in frameworks for r in control.refs):
            continue
        if control.id in exclude:
            continue
        chosen.append(control)
    return tuple(chosen)


def audit_context(pack: Pack, control: Control, packs_dir: Path, arch: str) -> Context:
    """What ``control``'s check needs: the pack's package table and its expected rule lines."""
    lines: list[str] = []
    for group in control.audit_rules:
        lines.extend(r.text for r in load_group(packs_dir, arch, group, used_at=control.loc))
    return Context(packages=pack.packages, audit_rules=tuple(lines))


def include(ref: str, params: Mapping[str, Any], packs_dir: Path, *, platform: str) -> Fragment:
    """Compile the controls of pack ``ref`` selected by ``params`` for ``platform``."""
    if not _PACK_REF.match(ref):
        raise SourceError(SourceLoc(str(packs_dir)), f"invalid pack reference {ref!r}")
    pack = load_pack(packs_dir / ref)
    if platform not in pack.platforms:
        raise _param_error(pack, f"pack supports {', '.join(pack.platforms)}, not {platform}")
    arch = params.get("arch", "x86_64")
    if arch not in ARCHES:
        raise _param_error(pack, f"arch must be one of {', '.join(ARCHES)}")
    interval = params.get("interval")
    if interval is not None and (
        isinstance(interval, bool) or not isinstance(interval, int) or not 60 <= interval <= 604800
    ):
        raise _param_error(pack, "interval must be an integer from 60 to 604800")
    queries: list[ScheduledQuery] = []
    rules: list[AuditRuleSource] = []
    seen_groups: set[str] = set()
    for control in select(pack, params):
        if platform not in control.platforms:
            continue
        group_rules: list[AuditRuleSource] = []
        for group in control.audit_rules:
            loaded = load_group(packs_dir, arch, group, used_at=control.loc)
            group_rules.extend(loaded)
            if group not in seen_groups:
                seen_groups.add(group)
                rules.extend(loaded)
        if not control.automated:
            continue
        ctx = Context(packages=pack.packages, audit_rules=tuple(r.text for r in group_rules))
        queries.append(
            ScheduledQuery(
                name=control_query_name(control.id),
                query=compile_sql(control, pack, ctx),
                interval=interval or control.interval or pack.interval,
                loc=control.loc,
                snapshot=True,
                platform=platform,
                description=control.title,
            )
        )
    return Fragment(origin=f"pack {pack.id}", queries=tuple(queries), audit_rules=tuple(rules))
