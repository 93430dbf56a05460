"""What changed between two builds, per namespace: queries, options, audit rules, exceptions.

Inputs are compiled namespaces (config bytes), so the comparison sees exactly what
hosts would receive, including inherited and pack-included content. Queries and rules
are reported with their text (old and new SQL, the rule lines), not just their names.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trails.build.pipeline import CompiledNamespace

# osquery.conf keys compared one by one; any other top-level key is "other settings".
_DETAILED = ("schedule", "packs", "options")


@dataclass(frozen=True)
class NamespaceDiff:
    namespace: str
    status: str  # "added", "removed", "changed"
    queries_added: tuple[str, ...] = ()
    queries_removed: tuple[str, ...] = ()
    queries_changed: tuple[str, ...] = ()
    # name -> (old definition or None, new definition or None), for every query above
    query_text: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    options_changed: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()
    other_changed: tuple[str, ...] = ()  # other osquery.conf keys: decorators, file_paths...
    exceptions_added: tuple[str, ...] = ()  # exception ids (exceptions.json)
    exceptions_removed: tuple[str, ...] = ()
    exceptions_changed: tuple[str, ...] = ()
    # id -> (old entry or None, new entry or None), for every exception above
    exception_text: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "status": self.status,
            "queries": {
                "added": list(self.queries_added),
                "removed": list(self.queries_removed),
                "changed": list(self.queries_changed),
                "text": {k: {"old": a, "new": b} for k, (a, b) in self.query_text.items()},
            },
            "options": {k: {"old": a, "new": b} for k, (a, b) in self.options_changed.items()},
            "audit_rules": {"added": list(self.rules_added), "removed": list(self.rules_removed)},
            "other": list(self.other_changed),
            "exceptions": {
                "added": list(self.exceptions_added),
                "removed": list(self.exceptions_removed),
                "changed": list(self.exceptions_changed),
                "text": {k: {"old": a, "new": b} for k, (a, b) in self.exception_text.items()},
            },
        }


def _queries(conf: Mapping[str, Any]) -> dict[str, Any]:
    """Every scheduled query, inline pack queries named ``pack:<pack>:<query>`` as osquery does."""
    found = dict(conf.get("schedule", {}))
    for pack, body in conf.get("packs", {}).items():
        for name, query in body.get("queries", {}).items():
            found[f"pack:{pack}:{name}"] = query
    return found


def _without_version(conf: Mapping[str, Any]) -> dict[str, Any]:
    # The tagging decorator carries config_version, which changes with every commit.
    conf = dict(conf)
    decorators = dict(conf.get("decorators", {}))
    decorators["load"] = [d for d in decorators.get("load", []) if "AS config_version" not in d]
    conf["decorators"] = decorators
    return conf


def _pack_settings(conf: Mapping[str, Any]) -> dict[str, Any]:
    """Pack-level settings (platform, discovery...), the queries left out."""
    return {
        pack: {k: v for k, v in body.items() if k != "queries"}
        for pack, body in conf.get("packs", {}).items()
    }


def _other_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    a, b = _without_version(old), _without_version(new)
    keys = sorted(k for k in a.keys() | b.keys() if k not in _DETAILED and a.get(k) != b.get(k))
    if _pack_settings(old) != _pack_settings(new):
        keys.append("packs")
    return tuple(keys)


def _exceptions(data: bytes) -> dict[str, dict[str, Any]]:
    """id -> entry of an ``exceptions.json`` (empty bytes: none), ``source`` left out: a
    line moving in policy.yaml changes nothing a report decides."""
    if not data:
        return {}
    return {
        e["id"]: {k: v for k, v in e.items() if k != "source"}
        for e in json.loads(data)["exceptions"]
    }


def _rules(text: bytes) -> list[str]:
    return [line for line in text.decode("utf-8").splitlines() if line.strip()]


def _rule_changes(old: list[str], new: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Lines added and removed, order-aware: audit rules match first-hit, so a rule that
    moved is reported as removed at its old place and added at its new one."""
    added: list[str] = []
    removed: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed.extend(old[i1:i2])
        if tag in ("replace", "insert"):
            added.extend(new[j1:j2])
    return tuple(added), tuple(removed)


def diff_namespace(old: CompiledNamespace | None, new: CompiledNamespace | None) -> NamespaceDiff:
    ns = (new or old).namespace  # type: ignore[union-attr]
    old_conf = json.loads(old.osquery_conf) if old else {}
    new_conf = json.loads(new.osquery_conf) if new else {}
    old_q, new_q = _queries(old_conf), _queries(new_conf)
    old_o, new_o = old_conf.get("options", {}), new_conf.get("options", {})
    added = tuple(sorted(new_q.keys() - old_q.keys()))
    removed = tuple(sorted(old_q.keys() - new_q.keys()))
    changed = tuple(sorted(k for k in old_q.keys() & new_q.keys() if old_q[k] != new_q[k]))
    rules_added, rules_removed = _rule_changes(
        _rules(old.audit_rules) if old else [], _rules(new.audit_rules) if new else []
    )
    old_e = _exceptions(old.exceptions) if old else {}
    new_e = _exceptions(new.exceptions) if new else {}
    e_added = tuple(sorted(new_e.keys() - old_e.keys()))
    e_removed = tuple(sorted(old_e.keys() - new_e.keys()))
    e_changed = tuple(sorted(k for k in old_e.keys() & new_e.keys() if old_e[k] != new_e[k]))
    status = "added" if old is None else "removed" if new is None else "changed"
    return NamespaceDiff(
        namespace=ns,
        status=status,
        queries_added=added,
        queries_removed=removed,
        queries_changed=changed,
        query_text={k: (old_q.get(k), new_q.get(k)) for k in (*added, *removed, *changed)},
        options_changed={
            k: (old_o.get(k), new_o.get(k))
            for k in sorted(old_o.keys() | new_o.keys())
            if old_o.get(k) != new_o.get(k)
        },
        rules_added=rules_added,
        rules_removed=rules_removed,
        other_changed=_other_changed(old_conf, new_conf) if old and new else (),
        exceptions_added=e_added,
        exceptions_removed=e_removed,
        exceptions_changed=e_changed,
        exception_text={
            k: (old_e.get(k), new_e.get(k)) for k in (*e_added, *e_removed, *e_changed)
        },
    )


def _unchanged(d: NamespaceDiff) -> bool:
    return not (
        d.queries_added
        or d.queries_removed
        or d.queries_changed
        or d.options_changed
        or d.rules_added
        or d.rules_removed
        or d.other_changed
        or d.exception_text
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
        if a is not None and b is not None and _unchanged(d):
            continue
        diffs.append(d)
    return diffs


def _sql(query: Any) -> str:
    return str(query.get("query", "")) if isinstance(query, Mapping) else json.dumps(query)


def _query_lines(old: Any, new: Any) -> list[str]:
    """The SQL of a changed query as -/+ lines (a unified diff when it spans lines), then
    any other field that changed (interval, snapshot, platform...) as old -> new."""
    lines = []
    a, b = _sql(old).strip(), _sql(new).strip()
    if a != b:
        if "\n" in a or "\n" in b:
            body = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=2)
            lines += [f"      {line}" for line in list(body)[2:]]  # no ---/+++ header
        else:
            lines += [f"      - {a}", f"      + {b}"]
    old_f = old if isinstance(old, Mapping) else {}
    new_f = new if isinstance(new, Mapping) else {}
    for key in sorted((old_f.keys() | new_f.keys()) - {"query"}):
        if old_f.get(key) != new_f.get(key):
            lines.append(
                f"      {key}: {json.dumps(old_f.get(key))} -> {json.dumps(new_f.get(key))}"
            )
    return lines


def _exception_summary(entry: Mapping[str, Any]) -> str:
    hosts = f", hosts {', '.join(entry['hosts'])}" if entry.get("hosts") else ""
    owner = f", owner {entry['owner']}" if entry.get("owner") else ""
    return f"{entry['control']} until {entry['expires']}{hosts}{owner}"


def _exception_lines(d: NamespaceDiff) -> list[str]:
    """``+``/``-`` an exception with its control, end and scope; ``~`` with each field
    that changed as old -> new (an extended ``expires`` is what reviewers look for)."""
    lines = []
    for ident in d.exceptions_added:
        lines.append(f"  + exception {ident}: {_exception_summary(d.exception_text[ident][1])}")
    for ident in d.exceptions_removed:
        lines.append(f"  - exception {ident}: {_exception_summary(d.exception_text[ident][0])}")
    for ident in d.exceptions_changed:
        old, new = d.exception_text[ident]
        lines.append(f"  ~ exception {ident}")
        lines.extend(
            f"      {key}: {json.dumps(old.get(key))} -> {json.dumps(new.get(key))}"
            for key in sorted(old.keys() | new.keys())
            if old.get(key) != new.get(key)
        )
    return lines


def _text_block(sql: str) -> list[str]:
    return [f"      {line}" for line in sql.strip().splitlines()]


def render_text(diffs: Sequence[NamespaceDiff]) -> str:
    if not diffs:
        return "no changes\n"
    lines = []
    for d in diffs:
        lines.append(f"{d.namespace} ({d.status})")
        for name in d.queries_added:
            lines.append(f"  + query {name}")
            lines.extend(_text_block(_sql(d.query_text[name][1])))
        for name in d.queries_removed:
            lines.append(f"  - query {name}")
            lines.extend(_text_block(_sql(d.query_text[name][0])))
        for name in d.queries_changed:
            lines.append(f"  ~ query {name}")
            lines.extend(_query_lines(*d.query_text[name]))
        for key, (a, b) in d.options_changed.items():
            lines.append(f"  ~ option {key}: {json.dumps(a)} -> {json.dumps(b)}")
        lines.extend(f"  + rule {r}" for r in d.rules_added)
        lines.extend(f"  - rule {r}" for r in d.rules_removed)
        if d.other_changed:
            lines.append(f"  ~ other settings: {', '.join(d.other_changed)}")
        lines.extend(_exception_lines(d))
    return "\n".join(lines) + "\n"
