"""Read a pack directory: YAML with line numbers, JSON Schema validation, frozen model.

Packs are reviewed files in the policy repository, but they are still input: every
problem is a ``SourceError`` naming file and line, and sizes are bounded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from trails.errors import SourceError, SourceLoc
from trails.models.yaml_source import parse_yaml, read_text, schema_problems
from trails.packs.model import Check, Control, Fixture, Pack, Ref, RequirementDef

MAX_FILE_BYTES = 4 * 1024 * 1024
PACK_FILE = "pack.yaml"
CONTROLS_DIR = "controls"
_CHECK_KINDS_RAW = "query"


# the schema's definition for each file kind: validating against it directly names the
# offending value instead of "matches neither a pack nor a controls file"
_KINDS = {"pack": "pack", "controls": "controls_file"}


@cache
def _validator(kind: str | None) -> jsonschema.Draft202012Validator:
    text = resources.files("trails.schemas").joinpath("pack.schema.json").read_text("utf-8")
    schema = json.loads(text)
    if kind in _KINDS:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{_KINDS[kind]}"}
    return jsonschema.Draft202012Validator(schema)


def read_yaml(path: Path) -> Any:
    """Parse one pack file; a YAML error or an oversized file is a SourceError."""
    return parse_yaml(read_text(path, str(path), limit=MAX_FILE_BYTES), str(path))


def validate(doc: Any, path: Path) -> None:
    """The first JSON Schema violation, at its line, as a SourceError."""
    kind = doc.get("kind") if isinstance(doc, dict) else None
    problems = schema_problems(
        _validator(kind if isinstance(kind, str) else None), doc, "docs/packs.md"
    )
    if problems:
        line, message = problems[0]
        raise SourceError(SourceLoc(str(path), line), message)


def _rows(value: Mapping[str, Any]) -> dict[str, tuple[Mapping[str, Any], ...]]:
    return {table: tuple(dict(row) for row in rows) for table, rows in value.items()}


def _refs(value: Mapping[str, Any]) -> tuple[Ref, ...]:
    refs: list[Ref] = []
    for framework, ids in value.items():
        for req in [ids] if isinstance(ids, str) else ids:
            refs.append(Ref(framework, req))
    return tuple(refs)


def _check(value: Mapping[str, Any]) -> Check:
    ((kind, spec),) = value.items()
    if kind == _CHECK_KINDS_RAW:
        return Check(
            kind=kind,
            spec=spec["sql"],
            evidence=tuple(spec["evidence"]),
            pass_rule=spec.get("pass", "all_ok"),
            observe=spec.get("observe"),
        )
    return Check(kind=kind, spec=spec)


def _control(doc: Mapping[str, Any], pack: str, platforms: tuple[str, ...], path: Path) -> Control:
    loc = SourceLoc(str(path), getattr(doc, "line", 0))
    profiles = tuple(
        (name.split("_", 1)[1], int(name[1])) for name in doc["profiles"]
    )  # "l2_server" -> ("server", 2)
    fixtures = tuple(
        Fixture(
            expect=f["expect"],
            tables=_rows(f.get("tables", {})),
            loc=SourceLoc(str(path), getattr(f, "line", 0)),
            note=f.get("note", ""),
            host=f.get("host"),
        )
        for f in doc.get("fixtures", ())
    )
    return Control(
        id=doc["id"],
        title=doc["title"],
        pack=pack,
        refs=_refs(doc["refs"]),
        profiles=profiles,
        severity=doc["severity"],
        platforms=tuple(doc.get("platforms", platforms)),
        remediation=doc["remediation"].strip(),
        rationale=doc["rationale"].strip(),
        loc=loc,
        check=_check(doc["check"]) if "check" in doc else None,
        manual=doc.get("manual"),
        not_applicable_when=doc.get("not_applicable_when"),
        audit_rules=tuple(doc.get("audit_rules", ())),
        fixtures=fixtures,
        interval=doc.get("interval"),
    )


def _semantic_checks(controls: list[Control]) -> None:
    seen: dict[str, Control] = {}
    for control in controls:
        first = seen.setdefault(control.id, control)
        if first is not control:
            raise SourceError(control.loc, f"control {control.id} is also defined at {first.loc}")
        check = control.check
        if check is not None and check.kind == "audit_loaded" and not control.audit_rules:
            raise SourceError(control.loc, f"{control.id}: audit_loaded needs audit_rules groups")


def load_pack(pack_dir: Path) -> Pack:
    """Load and validate ``pack_dir/pack.yaml`` and every ``pack_dir/controls/*.yaml``."""
    meta_path = pack_dir / PACK_FILE
    if not meta_path.is_file():
        raise SourceError(SourceLoc(str(pack_dir)), f"not a pack: {PACK_FILE} is missing")
    meta = read_yaml(meta_path)
    validate(meta, meta_path)
    if meta.get("kind") != "pack":
        raise SourceError(SourceLoc(str(meta_path), 1), "pack.yaml must have kind: pack")
    if meta["id"] != pack_dir.name:
        raise SourceError(
            SourceLoc(str(meta_path), meta.line),
            f"pack id {meta['id']!r} must equal its directory name {pack_dir.name!r}",
        )
    platforms = tuple(meta["platforms"])
    controls: list[Control] = []
    for path in sorted((pack_dir / CONTROLS_DIR).glob("*.yaml")):
        doc = read_yaml(path)
        validate(doc, path)
        if doc.get("kind") != "controls":
            raise SourceError(SourceLoc(str(path), 1), "a controls file must have kind: controls")
        controls.extend(_control(c, meta["id"], platforms, path) for c in doc["controls"])
    _semantic_checks(controls)
    requirements = tuple(
        RequirementDef(
            id=r["id"],
            title=r["title"],
            manual_evidence=r.get("manual_evidence", ""),
            loc=SourceLoc(str(meta_path), getattr(r, "line", 0)),
        )
        for r in meta.get("requirements", ())
    )
    return Pack(
        id=meta["id"],
        framework=meta["framework"],
        title=meta["title"],
        version=meta["version"],
        platforms=platforms,
        path=str(pack_dir),
        loc=SourceLoc(str(meta_path), 1),
        packages=meta.get("packages", "deb"),
        applies_when=meta.get("applies_when"),
        interval=meta.get("interval", 3600),
        audit_max_age=meta.get("audit_max_age", 10800),
        controls=tuple(controls),
        requirements=requirements,
        fixture_defaults=_rows(meta.get("fixture_defaults", {})),
        fixture_host=meta.get("fixture_host", {}),
    )
