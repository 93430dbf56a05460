"""Jinja2 in policy values: a sandbox with StrictUndefined, errors at file and line.

Only string values are templates. A missing variable is an error, never an empty
string; attribute access outside the sandbox's allowlist (``''.__class__``) is an error.
Templates are compiled once per distinct source string and rendered per namespace.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from trails.build.source import LineDict, LineList
from trails.errors import SourceError, SourceLoc

MAX_RENDERED_CHARS = 256 * 1024
_MARKERS = ("{{", "{%", "{#")


class _BoundedSandbox(SandboxedEnvironment):
    """The sandbox also bounds ``*`` and ``**``, so ``'a' * 10**10`` cannot exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if sized and len(seq) * count > MAX_RENDERED_CHARS:
                    raise jinja2.exceptions.SecurityError("repetition result is too large")
        elif isinstance(right, int | float) and abs(right) > 1024:
            raise jinja2.exceptions.SecurityError("exponent is too large")
        return super().call_binop(context, operator, left, right)


_ENV = _BoundedSandbox(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def render_string(value: str, variables: Mapping[str, Any], loc: SourceLoc) -> str:
    if not any(m in value for m in _MARKERS):
        return value
    try:
        out = _compile(value).render(**variables)
    except jinja2.TemplateSyntaxError as exc:
        raise SourceError(_at(loc, exc.lineno), f"template syntax error: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise SourceError(loc, f"template sandbox violation: {exc}") from None
    except jinja2.UndefinedError as exc:
        raise SourceError(loc, f"undefined template variable: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise SourceError(loc, f"template error: {exc}") from None
    except (ArithmeticError, ValueError, TypeError, LookupError, OverflowError) as exc:
        raise SourceError(loc, f"template failed: {type(exc).__name__}: {exc}") from None
    if len(out) > MAX_RENDERED_CHARS:
        raise SourceError(loc, f"template renders to more than {MAX_RENDERED_CHARS} characters")
    return out


def _at(loc: SourceLoc, template_line: int | None) -> SourceLoc:
    return SourceLoc(loc.path, loc.line + max((template_line or 1) - 1, 0))


def render_tree(node: Any, variables: Mapping[str, Any], path: str, line: int) -> Any:
    """A copy of ``node`` with every string rendered; line numbers are kept."""
    if isinstance(node, str):
        return render_string(node, variables, SourceLoc(path, line))
    if isinstance(node, LineDict):
        out = LineDict()
        out.line, out.key_lines = node.line, node.key_lines
        for key, value in node.items():
            out[key] = render_tree(value, variables, path, node.key_lines.get(key, node.line))
        return out
    if isinstance(node, LineList):
        items = LineList(
            render_tree(v, variables, path, node.item_lines[i]) for i, v in enumerate(node)
        )
        items.line, items.item_lines = node.line, node.item_lines
        return items
    return node
