"""Read a pack directory: YAML with line numbers, JSON Schema validation, frozen model.

Packs are reviewed files in the policy repository, but they are still input: every
problem is a ``SourceError`` naming file and line, and sizes are bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from trails.errors import SourceError, SourceLoc
from trails.packs.model import Check, Control, Fixture, Pack, Ref, RequirementDef

MAX_FILE_BYTES = 4 * 1024 * 1024
PACK_FILE = "pack.yaml"
CONTROLS_DIR = "controls"
_CHECK_KINDS_RAW = "query"


class _Map(dict[str, Any]):
    """A YAML mapping that remembers the line it started on."""

    line = 0


# libyaml's parser when present (several times faster on the 1 MB packs); same safe constructors.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeBase):  # type: ignore[valid-type,misc]
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[_Map]:
    data = _Map()
    data.line = node.start_mark.line + 1
    yield data
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    for key, value in loader.construct_mapping(node, deep=True).items():
        data[str(key)] = value


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("trails.schemas").joinpath("pack.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def read_yaml(path: Path) -> Any:
    """Parse one pack file; a YAML error or an oversized file is a SourceError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(SourceLoc(str(path)), f"cannot read pack file: {exc.strerror}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError(SourceLoc(str(path)), f"pack file is larger than {MAX_FILE_BYTES} bytes")
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_LineLoader)  # noqa: S506 (SafeLoader subclass)
    except UnicodeDecodeError as exc:
        raise SourceError(SourceLoc(str(path)), "pack file is not UTF-8") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SourceError(SourceLoc(str(path), line), f"invalid YAML: {problem}") from exc


def _line_at(doc: Any, path: Iterator[Any] | list[Any]) -> int:
    """The line of the deepest mapping on a JSON path into ``doc``."""
    line = getattr(doc, "line", 0)
    node = doc
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", line)
    return int(line)


def validate(doc: Any, path: Path) -> None:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = min(errors, key=lambda e: -len(e.absolute_path))
    best = jsonschema.exceptions.best_match([err]) or err
    where = "/".join(str(p) for p in best.absolute_path) or "top level"
    line = _line_at(doc, list(best.absolute_path))
    raise SourceError(SourceLoc(str(path), line), f"{where}: {best.message[:300]}")


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
