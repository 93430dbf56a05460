"""The policy repository: one ``policy.yaml`` per namespace directory.

``policies/linux/policy.yaml`` is namespace ``linux``; ``policies/linux/pci/policy.yaml``
is ``linux/pci`` and inherits from ``linux``. Directories are walked without following
symlinks, so inheritance is a tree and cycles cannot exist; a too-deep or badly named
namespace directory holding a policy is an error at its file. A ``policy.yaml`` that is a
symlink leading outside the policies directory is refused before it is read, so nothing
from outside the repository (``/etc/shadow``) can be echoed in a schema error.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from trails.errors import SourceError, SourceLoc
from trails.models.diagnostic import Diagnostic, Severity
from trails.models.namespace import MAX_DEPTH, namespace_error
from trails.models.yaml_source import LineDict, leads_outside, load_yaml, schema_problems

POLICY_FILE = "policy.yaml"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "policy.schema.json"
MAX_POLICY_FILES = 10_000


@dataclass(frozen=True)
class PolicyFile:
    namespace: str
    path: Path
    display: str  # repository-relative path used in messages
    doc: LineDict


@dataclass(frozen=True)
class Repository:
    root: Path  # the policies directory
    files: dict[str, PolicyFile]  # namespace -> its parsed, schema-valid file
    broken: dict[str, Diagnostic]  # namespace -> why its file is unusable
    diagnostics: tuple[Diagnostic, ...]  # problems that belong to no loaded namespace
    # namespace -> its parsed file that has schema errors (checked as far as it can be)
    partial: dict[str, PolicyFile] = field(default_factory=dict)


def error(loc: SourceLoc, message: str, code: str) -> Diagnostic:
    return Diagnostic(loc, Severity.ERROR, message, code)


def _inline_refs(node: Any, defs: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """Replace ``{"$ref": "#/$defs/x"}`` by the definition (except recursive ones): the
    same schema, validated about twice as fast because no reference is resolved per value."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
            name = ref.removeprefix("#/$defs/")
            if name not in stack:
                return _inline_refs(defs[name], defs, (*stack, name))
            return node
        return {k: _inline_refs(v, defs, stack) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs, stack) for v in node]
    return node


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


# Checked entry by entry with their own codes (trails.build.exception_entries), so a bad
# exception does not keep the rest of its file from being merged and checked.
_OWN_CHECKS = "exceptions"


def schema_errors(doc: Any, display: str) -> list[Diagnostic]:
    """JSON Schema violations, each at the line of the offending value."""
    if isinstance(doc, LineDict) and _OWN_CHECKS in doc:
        rest = LineDict({k: v for k, v in doc.items() if k != _OWN_CHECKS})
        rest.line, rest.key_lines = doc.line, doc.key_lines
        doc = rest
    return [
        error(SourceLoc(display, line), message, "policy.schema")
        for line, message in schema_problems(_validator(), doc, "docs/policies.md")
    ]


def display_path(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    # os.walk does not follow directory symlinks, so no loop is possible.
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        depth = len(Path(dirpath).relative_to(root).parts)
        if depth > MAX_DEPTH:
            dirnames[:] = []  # deeper namespaces are reported, not walked
        if POLICY_FILE in filenames:
            found.append(Path(dirpath) / POLICY_FILE)
            if len(found) > MAX_POLICY_FILES:
                break
    return found


def load_repository(root: Path, display_base: Path) -> Repository:
    """Find and parse every policy file under ``root`` (nothing is merged yet)."""
    files: dict[str, PolicyFile] = {}
    broken: dict[str, Diagnostic] = {}
    diagnostics: list[Diagnostic] = []
    partial: dict[str, PolicyFile] = {}
    paths = _walk(root)
    if len(paths) > MAX_POLICY_FILES:
        loc = SourceLoc(display_path(root, display_base))
        return Repository(root, {}, {}, (error(loc, "more than 10000 policy files", "repo"),))
    for path in paths:
        display = display_path(path, display_base)
        rel = path.parent.relative_to(root).as_posix()
        if rel == ".":
            diagnostics.append(
                error(
                    SourceLoc(display, 1),
                    "a policy file belongs in a namespace directory such as linux/policy.yaml",
                    "policy.namespace",
                )
            )
            continue
        if problem := namespace_error(rel):
            diagnostics.append(error(SourceLoc(display, 1), problem, "policy.namespace"))
            continue
        if leads_outside(path, root):
            broken[rel] = error(
                SourceLoc(display, 1),
                "policy file is a symlink leading outside the policies directory; refused "
                "unread (link to a file inside the directory instead)",
                "policy.symlink",
            )
            continue
        try:
            doc = load_yaml(path, display)
        except SourceError as exc:
            broken[rel] = error(exc.loc, exc.message, "policy.parse")
            continue
        if doc is None:
            doc = LineDict()
            doc.line, doc.key_lines = 1, {}
        problems = schema_errors(doc, display)
        if problems:
            broken[rel] = problems[0]
            diagnostics.extend(problems[1:])
            partial[rel] = PolicyFile(namespace=rel, path=path, display=display, doc=doc)
            continue
        files[rel] = PolicyFile(namespace=rel, path=path, display=display, doc=doc)
    return Repository(root, files, broken, tuple(diagnostics), partial)
