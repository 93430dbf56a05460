"""What changed between two builds, per namespace: queries, options, audit rules.

Inputs are compiled namespaces (config bytes), so the comparison sees exactly what
hosts would receive, including inherited and pack-included content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trails.build.pipeline import CompiledNamespace


@dataclass(frozen=True)
class NamespaceDiff:
    namespace: str
    status: str  # "added", "removed", "changed"
    queries_added: tuple[str, ...] = ()
    queries_removed: tuple[str, ...] = ()
    queries_changed: tuple[str, ...] = ()
    options_changed: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "status": self.status,
            "queries": {
                "added": list(self.queries_added),
                "removed": list(self.queries_removed),
                "changed": list(self.queries_changed),
            },
            "options": {k: {"old": a, "new": b} for k, (a, b) in self.options_changed.items()},
            "audit_rules": {"added": list(self.rules_added), "removed": list(self.rules_removed)},
        }


def _queries(conf: Mapping[str, Any]) -> dict[str, Any]:
    """Every scheduled query, inline pack queries named ``pack:<pack>:<query>`` as osquery does."""
    found = dict(conf.get("schedule", {}))
    for pack, body in conf.get("packs", {}).items():
        for name, query in body.get("queries", {}).items():
            found[f"pack:{pack}:{name}"] = query
    return found


def _without_version(conf: dict[str, Any]) -> dict[str, Any]:
    # The tagging decorator carries config_version, which changes with every commit.
    conf = dict(conf)
    decorators = dict(conf.get("decorators", {}))
    decorators["load"] = [d for d in decorators.get("load", []) if "AS config_version" not in d]
    conf["decorators"] = decorators
    return conf


def _rules(text: bytes) -> list[str]:
    return [line for line in text.decode("utf-8").splitlines() if line.strip()]


def diff_namespace(old: CompiledNamespace | None, new: CompiledNamespace | None) -> NamespaceDiff:
    ns = (new or old).namespace  # type: ignore[union-attr]
    old_conf = json.loads(old.osquery_conf) if old else {}
    new_conf = json.loads(new.osquery_conf) if new else {}
    old_q, new_q = _queries(old_conf), _queries(new_conf)
    old_o, new_o = old_conf.get("options", {}), new_conf.get("options", {})
    old_r = _rules(old.audit_rules) if old else []
    new_r = _rules(new.audit_rules) if new else []
    status = "added" if old is None else "removed" if new is None else "changed"
    return NamespaceDiff(
        namespace=ns,
        status=status,
        queries_added=tuple(sorted(new_q.keys() - old_q.keys())),
        queries_removed=tuple(sorted(old_q.keys() - new_q.keys())),
        queries_changed=tuple(
            sorted(k for k in old_q.keys() & new_q.keys() if old_q[k] != new_q[k])
        ),
        options_changed={
            k: (old_o.get(k), new_o.get(k))
            for k in sorted(old_o.keys() | new_o.keys())
            if old_o.get(k) != new_o.get(k)
        },
        rules_added=tuple(r for r in new_r if r not in set(old_r)),
        rules_removed=tuple(r for r in old_r if r not in set(new_r)),
    )


def _unchanged(d: NamespaceDiff, old: CompiledNamespace, new: CompiledNamespace) -> bool:
    same_conf = _without_version(json.loads(old.osquery_conf)) == _without_version(
        json.loads(new.osquery_conf)
    )
    return (
        same_conf
        and old.audit_rules == new.audit_rules
        and not (d.queries_added or d.queries_removed or d.queries_changed or d.options_changed)
    )


def diff_builds(
    old: Sequence[CompiledNamespace], new: Sequence[CompiledNamespace]
) -> list[NamespaceDiff]:
    """Namespaces that differ (unchanged ones are left out)."""
    before = {c.namespace: c for c in old}
    after = {c.namespace: c for c in new}
    diffs = []
    for ns in sorted(before.keys() | after.keys()):
        a, b = before.get(ns), after.get(ns)
        d = diff_namespace(a, b)
        if a is not None and b is not None and _unchanged(d, a, b):
            continue
        diffs.append(d)
    return diffs


def render_text(diffs: Sequence[NamespaceDiff]) -> str:
    if not diffs:
        return "no changes\n"
    lines = []
    for d in diffs:
        lines.append(f"{d.namespace} ({d.status})")
        for label, items in (
            ("+ query", d.queries_added),
            ("- query", d.queries_removed),
            ("~ query", d.queries_changed),
        ):
            lines.extend(f"  {label} {name}" for name in items)
        for key, (a, b) in d.options_changed.items():
            lines.append(f"  ~ option {key}: {json.dumps(a)} -> {json.dumps(b)}")
        lines.extend(f"  + rule {r}" for r in d.rules_added)
        lines.extend(f"  - rule {r}" for r in d.rules_removed)
        if lines and lines[-1] == f"{d.namespace} ({d.status})":
            lines.append("  ~ other settings (decorators, paths, events, views)")
    return "\n".join(lines) + "\n"
