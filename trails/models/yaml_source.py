"""Reading YAML sources safely (policies, packs): bounded size, UTF-8 text only, YAML
with line numbers, and JSON Schema violations mapped to those lines.

YAML is loaded with a ``SafeLoader`` subclass that builds plain dicts and lists which
also remember the line of every key and item, so every later error can name file and
line. Duplicate keys, which PyYAML would silently let the last one win, are errors;
aliases are counted as expanded, so a "billion laughs" document is refused.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from trails.errors import SourceError, SourceLoc
from trails.models.diagnostic import did_you_mean

MAX_SOURCE_BYTES = 2 * 1024 * 1024  # a policy or rule file larger than this is refused
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 200_000  # after expanding aliases


class LineDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


# libyaml's parser when PyYAML has it (same safe constructor, several times faster).
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[valid-type,misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be strings", key_node.start_mark
                )
            key = str(key)  # YAML 1.1 turns `3600:` or `yes:` into non-strings
        if key in result:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {result.key_lines[key]})",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    """A date YAML resolves but the calendar lacks (2027-02-30) is an error at its line,
    not a ValueError out of the loader."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a real date or time", node.start_mark
        ) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def leads_outside(path: Path, boundary: Path) -> bool:
    """True when ``path`` (or a symlink on the way to it) resolves outside ``boundary``:
    such a file is refused before it is opened, so no outside content reaches a message."""
    try:
        return not path.resolve(strict=False).is_relative_to(boundary.resolve(strict=False))
    except (OSError, RuntimeError):  # a symlink loop
        return True


def read_text(path: Path, display: str, *, limit: int = MAX_SOURCE_BYTES) -> str:
    """The file's text, refusing oversized, binary or non-UTF-8 content before parsing."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise SourceError(SourceLoc(display), f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise SourceError(
            SourceLoc(display, 1),
            f"file is larger than {limit} bytes; split it or remove generated content",
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SourceError(SourceLoc(display, line), "binary content (NUL byte); expected text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(SourceLoc(display, line), "file is not valid UTF-8 text") from None


def _shape(node: yaml.Node, memo: dict[int, tuple[int, int]], active: set[int]) -> tuple[int, int]:
    """(expanded node count, depth) of a node graph; aliases are counted every time they
    are used, so a "billion laughs" document is refused before anything walks it."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise ValueError("recursive YAML alias")
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    active.add(key)
    count, depth = 1, 0
    for child in children:
        c_count, c_depth = _shape(child, memo, active)
        count, depth = count + c_count, max(depth, c_depth)
        if count > MAX_YAML_NODES or depth > MAX_YAML_DEPTH:
            break
    active.discard(key)
    memo[key] = (count, depth + 1)
    return memo[key]


def parse_yaml(text: str, display: str) -> Any:
    """Parse one YAML document; errors name ``display`` and the line."""
    try:
        loader = _Loader(text)  # the reader rejects control characters right here
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise SourceError(
            SourceLoc(display, line),
            f"malformed YAML: {exc.reason} (character #x{exc.character:04x})",
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            count, depth = _shape(node, {}, set())
        except ValueError as exc:
            raise SourceError(SourceLoc(display, node.start_mark.line + 1), str(exc)) from None
        if count > MAX_YAML_NODES or depth > MAX_YAML_DEPTH:
            raise SourceError(
                SourceLoc(display, node.start_mark.line + 1),
                f"YAML is too large once aliases are expanded or nests deeper than "
                f"{MAX_YAML_DEPTH} levels",
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        # An error found at end of input belongs to the last line that has content.
        line = min(line, len(text.rstrip().splitlines()) or 1)
        problem = exc.problem or exc.context or "malformed YAML"
        raise SourceError(SourceLoc(display, line), f"malformed YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise SourceError(SourceLoc(display, line), f"malformed YAML: {exc.reason}") from None
    except yaml.YAMLError as exc:
        one_line = " ".join(str(exc).split())
        raise SourceError(SourceLoc(display, 1), f"malformed YAML: {one_line}") from None
    except RecursionError:
        raise SourceError(SourceLoc(display, 1), "YAML nests too deeply") from None
    finally:
        loader.dispose()


def load_yaml(path: Path, display: str) -> Any:
    return parse_yaml(read_text(path, display), display)


def line_of(doc: Any, path: list[str | int] | tuple[str | int, ...]) -> int:
    """The line of the value at ``path`` inside a loaded document (nearest known)."""
    line = getattr(doc, "line", 0) or 1
    node = doc
    for step in path:
        if isinstance(node, LineDict) and isinstance(step, str) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def schema_problems(validator: jsonschema.Validator, doc: Any, docs: str) -> list[tuple[int, str]]:
    """(line, ``where: message``) of every JSON Schema violation, at the offending value
    (an unknown key at the key itself), in document order; ``docs`` names the document
    describing the format."""
    found = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path))):
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        path = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
            extra = [k for k in err.instance if k not in known]
            path += extra[:1]
        found.append((line_of(doc, path), f"{where}: {_short(err, docs)}"))
    return found


def _short(err: jsonschema.ValidationError, docs: str) -> str:
    if err.validator == "additionalProperties":
        message = err.message.replace("Additional properties are not allowed", "unknown key")
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        if isinstance(err.instance, dict) and known:
            extra = [k for k in err.instance if k not in known and isinstance(k, str)]
            if extra:
                message += did_you_mean(extra[0], known)
        return message
    if err.validator == "oneOf" and isinstance(err.instance, dict | list):
        return f"is not one of the allowed forms (see {docs})"
    message = err.message
    return message if len(message) <= 200 else message[:197] + "..."
