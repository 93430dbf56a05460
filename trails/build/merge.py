"""Inheritance: merge a namespace's policy files, root ancestor first (docs/design.md §3).

Every file of the chain is rendered with the leaf namespace's variables, then merged:
scalars, tags, options, events, file paths, views and ATC entries: the leaf wins;
decorators and file accesses: appended; schedule queries, inline packs, pack includes
and audit rules: merged by name, and redefining one that an ancestor defined needs
``override: true`` (else an error naming both files and lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trails.build.policy import PolicyFile, error
from trails.build.templating import TemplateLimitError, render_tree
from trails.errors import SourceError, SourceLoc
from trails.formats.manifest import TAG_KEYS
from trails.models.diagnostic import Diagnostic, Severity
from trails.models.evidence import CONTROL_QUERY_PREFIX
from trails.models.fragment import AuditRuleSource, ScheduledQuery
from trails.models.namespace import ancestors
from trails.models.status import DEFAULT_DB_PATH
from trails.models.yaml_source import LineDict, LineList, read_text

_QUERY_KEYS = ("snapshot", "removed", "platform", "version", "denylist", "description")


@dataclass
class InlinePack:
    name: str
    loc: SourceLoc
    queries: dict[str, ScheduledQuery]
    settings: dict[str, Any]  # platform, version, shard, discovery


@dataclass
class Include:
    pack: str
    params: dict[str, Any]
    loc: SourceLoc


@dataclass
class Merged:
    """One namespace's policy after inheritance, before packs are expanded."""

    namespace: str
    platform: str = ""
    arch: str = "x86_64"
    status_db: str = DEFAULT_DB_PATH
    tags: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    option_locs: dict[str, SourceLoc] = field(default_factory=dict)
    schedule: dict[str, ScheduledQuery] = field(default_factory=dict)
    packs: dict[str, InlinePack] = field(default_factory=dict)
    decorators: dict[str, list[tuple[str, SourceLoc]]] = field(default_factory=dict)
    file_paths: dict[str, list[str]] = field(default_factory=dict)
    exclude_paths: dict[str, list[str]] = field(default_factory=dict)
    file_accesses: list[str] = field(default_factory=list)
    events: dict[str, Any] = field(default_factory=dict)
    atc: dict[str, Any] = field(default_factory=dict)
    views: dict[str, tuple[str, SourceLoc]] = field(default_factory=dict)
    audit_rules: list[AuditRuleSource] = field(default_factory=list)
    includes: dict[str, Include] = field(default_factory=dict)
    locs: dict[str, SourceLoc] = field(default_factory=dict)  # where platform/tags were set


def rule_identity(text: str) -> str:
    """What makes two audit rules "the same rule": a watch's path, else the words."""
    words = text.split()
    if len(words) >= 2 and words[0] == "-w":
        return "-w " + words[1]
    return " ".join(words)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


class _Merger:
    def __init__(self, namespace: str, root: Path, diags: list[Diagnostic]) -> None:
        self.m = Merged(namespace=namespace)
        self.root = root
        self.diags = diags

    def err(self, loc: SourceLoc, message: str, code: str) -> None:
        self.diags.append(error(loc, message, code))

    def _redefined(self, what: str, prev: SourceLoc, loc: SourceLoc, override: bool) -> bool:
        """True when the new definition may replace the inherited one."""
        if prev.path == loc.path:
            return True
        if override:
            return True
        self.err(
            loc,
            f"{what} redefines the one inherited from {prev}; "
            "add `override: true` to replace it or rename it",
            "merge.redefined",
        )
        return False

    def query(self, name: str, raw: LineDict, display: str) -> ScheduledQuery | None:
        loc = SourceLoc(display, raw.line)
        interval = as_int(raw["interval"])
        if interval is None:
            self.err(
                SourceLoc(display, raw.key_lines["interval"]),
                f"query {name}: interval must be an integer",
                "query.interval",
            )
            return None
        shard = None
        if "shard" in raw:
            shard = as_int(raw["shard"])
            if shard is None:
                self.err(
                    SourceLoc(display, raw.key_lines["shard"]),
                    f"query {name}: shard must be an integer",
                    "query.shard",
                )
                return None
        extra = {k: raw[k] for k in _QUERY_KEYS if k in raw}
        return ScheduledQuery(
            name=name, query=raw["query"], interval=interval, loc=loc, shard=shard, **extra
        )

    def schedule(
        self, target: dict[str, ScheduledQuery], raw: LineDict, display: str, what: str
    ) -> None:
        for name, entry in raw.items():
            query = self.query(name, entry, display)
            if query is None:
                continue
            if name.startswith("trails.") or CONTROL_QUERY_PREFIX in name:
                # the report reads results by these names: a look-alike could pose as a control
                self.err(
                    query.loc,
                    f"query names starting with 'trails.' or containing "
                    f"'{CONTROL_QUERY_PREFIX}' are reserved for compiled controls: {name}",
                    "query.reserved",
                )
                continue
            prev = target.get(name)
            override = bool(entry.get("override", False))
            if prev is not None and not self._redefined(
                f"{what} {name}", prev.loc, query.loc, override
            ):
                continue
            if prev is None and override:
                self.diags.append(
                    Diagnostic(
                        query.loc,
                        Severity.WARNING,
                        f"{what} {name} has override: true but overrides nothing",
                        "merge.override-unused",
                    )
                )
            target[name] = query

    def osquery(self, raw: LineDict, display: str) -> None:
        m = self.m
        options = raw.get("options", LineDict())
        m.options.update(options)
        for name in options:
            m.option_locs[name] = SourceLoc(display, options.key_lines.get(name, options.line))
        self.schedule(m.schedule, raw.get("schedule", LineDict()), display, "query")
        for name, pack in raw.get("packs", {}).items():
            loc = SourceLoc(display, pack.line)
            if "trails." in name:  # osquery names its queries pack_<name>_<query>
                self.err(
                    loc, f"pack names containing 'trails.' are reserved: {name}", "pack.reserved"
                )
                continue
            prev = m.packs.get(name)
            if prev is not None and not self._redefined(
                f"pack {name}", prev.loc, loc, bool(pack.get("override"))
            ):
                continue
            queries: dict[str, ScheduledQuery] = {}
            self.schedule(queries, pack["queries"], display, f"pack {name} query")
            settings = {
                k: pack[k] for k in ("platform", "version", "shard", "discovery") if k in pack
            }
            m.packs[name] = InlinePack(name=name, loc=loc, queries=queries, settings=settings)
        decorators = raw.get("decorators", LineDict())
        for kind in ("load", "always"):
            items = decorators.get(kind, LineList())
            m.decorators.setdefault(kind, []).extend(
                (sql, SourceLoc(display, items.item_lines[i])) for i, sql in enumerate(items)
            )
        for interval, items in decorators.get("interval", {}).items():
            m.decorators.setdefault(f"interval:{int(interval)}", []).extend(
                (sql, SourceLoc(display, items.item_lines[i])) for i, sql in enumerate(items)
            )
        m.file_paths.update(raw.get("file_paths", {}))
        m.exclude_paths.update(raw.get("exclude_paths", {}))
        m.file_accesses.extend(a for a in raw.get("file_accesses", []) if a not in m.file_accesses)
        m.events.update(raw.get("events", {}))
        m.atc.update(raw.get("auto_table_construction", {}))
        views = raw.get("views", LineDict())
        for name, sql in views.items():
            m.views[name] = (sql, SourceLoc(display, views.key_lines[name]))

    def add_rule(
        self, rule: AuditRuleSource, override: bool, seen: dict[str, AuditRuleSource]
    ) -> None:
        identity = rule_identity(rule.text)
        prev = seen.get(identity)
        if prev is not None:
            if prev.loc.path == rule.loc.path:
                self.err(
                    rule.loc,
                    f"audit rule repeats the one on line {prev.loc.line}",
                    "audit.duplicate",
                )
                return
            if not self._redefined("audit rule", prev.loc, rule.loc, override):
                return
            self.m.audit_rules.remove(prev)
        seen[identity] = rule
        self.m.audit_rules.append(rule)

    def audit(self, raw: LineDict, policy: PolicyFile, seen: dict[str, AuditRuleSource]) -> None:
        rules = raw.get("rules", LineList())
        for i, item in enumerate(rules):
            loc = SourceLoc(policy.display, rules.item_lines[i])
            text, override = (
                (item, False)
                if isinstance(item, str)
                else (item["rule"], bool(item.get("override")))
            )
            for offset, line in enumerate(text.splitlines()):
                if line.strip() and not line.lstrip().startswith("#"):
                    rule = AuditRuleSource(line.strip(), SourceLoc(loc.path, loc.line + offset))
                    self.add_rule(rule, override, seen)
        files = raw.get("files", LineList())
        for i, name in enumerate(files):
            loc = SourceLoc(policy.display, files.item_lines[i])
            for rule in self.rule_file(policy, name, loc):
                self.add_rule(rule, False, seen)

    def rule_file(self, policy: PolicyFile, name: str, loc: SourceLoc) -> list[AuditRuleSource]:
        path = (policy.path.parent / name).resolve()
        if not path.is_relative_to(self.root.resolve()):
            self.err(loc, f"audit rule file {name} is outside the policies directory", "audit.file")
            return []
        display = str(Path(policy.display).parent / name)
        try:
            text = read_text(path, display)
        except SourceError as exc:
            if exc.loc.line:
                self.err(exc.loc, exc.message, "audit.file")
            else:
                self.err(loc, f"audit rule file {name}: {exc.message}", "audit.file")
            return []
        return [
            AuditRuleSource(line.strip(), SourceLoc(display, n))
            for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]

    def include(self, raw: LineList, display: str) -> None:
        for i, entry in enumerate(raw):
            loc = SourceLoc(display, raw.item_lines[i])
            params = {k: v for k, v in entry.items() if k not in ("pack", "override")}
            prev = self.m.includes.get(entry["pack"])
            if prev is not None and not self._redefined(
                f"include of pack {entry['pack']}", prev.loc, loc, bool(entry.get("override"))
            ):
                continue
            self.m.includes[entry["pack"]] = Include(entry["pack"], params, loc)


def variables_for(chain: list[PolicyFile]) -> dict[str, Any]:
    """Variables visible to every file of a namespace: ancestors', then the leaf's."""
    merged: dict[str, Any] = {}
    platform, tags = "", {}
    for policy in chain:
        merged.update(policy.doc.get("variables", {}))
        platform = policy.doc.get("platform", platform)
        tags.update(policy.doc.get("tags", {}))
    namespace = chain[-1].namespace if chain else ""
    return {**merged, "namespace": namespace, "platform": platform, "tags": tags}


def merge_namespace(
    namespace: str, files: Mapping[str, PolicyFile], root: Path, diags: list[Diagnostic]
) -> Merged:
    """Merge the chain of ``namespace``; problems are appended to ``diags``."""
    chain = [files[ns] for ns in ancestors(namespace) if ns in files]
    merger = _Merger(namespace, root, diags)
    m = merger.m
    variables = variables_for(chain)
    seen_rules: dict[str, AuditRuleSource] = {}
    for policy in chain:
        # exceptions are not templates (trails.build.exception_entries)
        body = {k: v for k, v in policy.doc.items() if k not in ("variables", "exceptions")}
        source = LineDict(body)
        source.line, source.key_lines = policy.doc.line, policy.doc.key_lines
        try:
            doc = render_tree(source, variables, policy.display, policy.doc.line)
        except SourceError as exc:
            code = "policy.template-limit" if isinstance(exc, TemplateLimitError) else ""
            diags.append(
                error(
                    exc.loc,
                    f"{exc.message}; the rest of namespace {namespace} is not checked",
                    code or "policy.template",
                )
            )
            return m  # the rest of the chain would only add follow-on errors
        for key in ("platform", "arch", "status_db"):
            if key in doc:
                setattr(m, key, doc[key])
                m.locs[key] = SourceLoc(policy.display, doc.key_lines[key])
        for key, value in doc.get("tags", {}).items():
            m.tags[key] = value
            m.locs[f"tags.{key}"] = SourceLoc(policy.display, doc["tags"].key_lines[key])
        if "osquery" in doc:
            merger.osquery(doc["osquery"], policy.display)
        if "audit" in doc:
            merger.audit(doc["audit"], policy, seen_rules)
        if "include" in doc:
            merger.include(doc["include"], policy.display)
    leaf = SourceLoc(chain[-1].display, 1) if chain else SourceLoc(namespace)
    if not m.platform:
        merger.err(
            leaf,
            f"namespace {namespace} has no platform; set `platform: linux` here or in an "
            "ancestor (its queries and rules are not checked until it has one)",
            "policy.platform",
        )
    missing = [k for k in TAG_KEYS if not m.tags.get(k)]
    if missing:
        merger.err(
            leaf,
            f"namespace {namespace} lacks tags {', '.join(missing)}; set them "
            "here or in an ancestor",
            "policy.tags",
        )
    return m
