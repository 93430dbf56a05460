"""Jinja2 in policy values: a bounded sandbox with StrictUndefined, errors at file and line.

Only string values are templates. A missing variable is an error, never an empty
string; attribute access outside the sandbox's allowlist (``''.__class__``) is an error.
Templates are compiled once per distinct source string and rendered per namespace.

A policy is input from anyone who can open a pull request, so rendering is bounded
(docs/policies.md, "Jinja2"): every string a template produces, every list a filter
builds, loop iterations plus macro calls per file, call nesting, integer size and render
time per file. Sizes are checked *before* an operation allocates (``'x'.center(10**9)``
is refused from its arguments), time is checked at every call, attribute access, loop
iteration and join, so no thread or signal is needed. The limits are the constants below.
"""

from __future__ import annotations

import contextvars
import functools
import re
import string
import time
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, _PassArg

from trails.models.yaml_source import LineDict, LineList
from trails.errors import SourceError, SourceLoc

# The render bounds, in one place (docs/policies.md says the same).
MAX_STRING_CHARS = 1024 * 1024  # any string (or str() of a value) a template produces
MAX_ITEMS = 100_000  # any list or tuple a template builds
MAX_LOOP_ITERATIONS = 100_000  # loop iterations plus macro calls, per file
MAX_CALL_DEPTH = 32  # nested macro, caller() and recursive-loop calls
MAX_INT_BITS = 64 * 1024  # about 19 700 decimal digits
MAX_RENDER_SECONDS = 2.0  # per file
MAX_RENDERED_CHARS = MAX_STRING_CHARS  # the whole output of one value

_MARKERS = ("{{", "{%", "{#")


class TemplateLimitError(SourceError):
    """A template went over a render bound: lint code ``policy.template-limit``."""


class _Exceeded(SecurityError):
    """Raised inside the sandbox; ``render_string`` turns it into a located error."""


class _Budget:
    """What one file may still spend: loop steps, call depth, time."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        self.steps = 0
        self.depth = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Exceeded(f"render time over {MAX_RENDER_SECONDS:g} s for this file")

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_LOOP_ITERATIONS:
            raise _Exceeded(f"more than {MAX_LOOP_ITERATIONS} loop iterations and macro calls")
        self.tick()


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "trails_template_budget", default=None
)


def _budget() -> _Budget:
    return _BUDGET.get() or _Budget()


def _too_long(what: str, size: int) -> _Exceeded:
    return _Exceeded(f"{what} would be {size} characters, over {MAX_STRING_CHARS}")


def _repr_len(text: str) -> int:
    """An upper bound of ``len(repr(text))`` without building it."""
    if text.isprintable():
        return len(text) + 2 + text.count("\\") + text.count("'")
    return 10 * len(text) + 2


def _weigh(value: Any, *, nested: bool = False) -> int:
    """An upper bound of ``len(str(value))``, computed without recursion and stopping
    as soon as it passes the limit (so a deep, wide or cyclic value costs little)."""
    total = 0
    stack: list[tuple[Any, bool]] = [(value, nested)]
    while stack and total <= MAX_STRING_CHARS:
        item, inner = stack.pop()
        if isinstance(item, str):
            total += _repr_len(item) if inner else len(item)
        elif isinstance(item, bytes | bytearray):
            total += 4 * len(item) + 3
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            stack.extend((part, True) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            stack.extend((part, True) for part in item)
        elif isinstance(item, KeysView | ValuesView | ItemsView):
            total += 16
            stack.extend((part, True) for part in list(item))
        elif isinstance(item, Namespace):
            total += 14
            stack.append((object.__getattribute__(item, "_Namespace__attrs"), True))
        else:
            total += 80  # other objects (macros, loops, ranges) print a short repr
    return total


def _check_size(value: Any) -> Any:
    """``value`` when it is within the size bounds, else the refusal."""
    if isinstance(value, str | bytes | bytearray) and len(value) > MAX_STRING_CHARS:
        raise _too_long("a string", len(value))
    if isinstance(value, list | tuple) and len(value) > MAX_ITEMS:
        raise _Exceeded(f"a list of {len(value)} items, over {MAX_ITEMS}")
    return value


def _materialize(iterable: Iterable[Any]) -> Any:
    """Lists, strings and mappings as they are; anything lazy is consumed under the
    size bounds, so a generator of fresh big strings is refused while it is read."""
    if isinstance(iterable, str | bytes | list | tuple | Mapping | set | frozenset | range):
        return iterable
    budget = _budget()
    items: list[Any] = []
    weight = 0
    for item in iterable:
        budget.tick()
        weight += _weigh(item, nested=True)
        items.append(item)
        if weight > MAX_STRING_CHARS or len(items) > MAX_ITEMS:
            raise _Exceeded(f"a sequence over {MAX_STRING_CHARS} characters or {MAX_ITEMS} items")
    return items


def _int_arg(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_STRING_CHARS:
        raise _Exceeded(f"{what} {value} is over {MAX_STRING_CHARS}")


# --- size estimates for the operations that can amplify their input ---------------

_PERCENT = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def _numbers(spec: str) -> int:
    total = 0
    for digits in re.findall(r"\d+", spec):
        if len(digits) > 7 or int(digits) > MAX_STRING_CHARS:
            raise _Exceeded(f"a format width or precision of {digits[:12]} is over the limit")
        total += int(digits)
    return total


def _percent_size(fmt: str, args: Any) -> int:
    """Upper bound of ``len(fmt % args)``; ``*`` widths are refused (they hide the width)."""
    size = len(fmt)
    named = False
    for match in _PERCENT.finditer(fmt):
        name, width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        if "*" in (width, precision):
            raise _Exceeded("'*' widths in % formatting are not allowed in policies")
        size += _numbers(f"{width or ''} {precision or ''}")
        if name is not None and isinstance(args, Mapping):
            named = True
            value = args.get(name, "")
            size += _weigh(value) * (10 if conversion in "ra" else 1) + 2
    if not named:
        values = args if isinstance(args, tuple) else (args,)
        size += sum(_weigh(v, nested=True) for v in values)
    return size


def _format_size(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """Upper bound of ``fmt.format(*args, **kwargs)``: a field may repeat any argument."""
    largest = max((_weigh(v, nested=True) for v in (*args, *kwargs.values())), default=0)
    size = len(fmt)
    for _literal, field, spec, conversion in string.Formatter().parse(fmt):
        if field is None:
            continue
        if spec and "{" in spec:
            raise _Exceeded("nested replacement fields in a format spec are not allowed")
        size += _numbers(spec or "") + largest * (10 if conversion in ("r", "a") else 1) + 2
    return size


def _method_size(obj: str | bytes, name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> int:
    """Upper bound of a ``str``/``bytes`` method's result, for those that can amplify."""
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kw.get("width", 0)
        _int_arg(width, "width")
        return max(len(obj), width if isinstance(width, int) else 0)
    if name == "expandtabs":
        size = args[0] if args else kw.get("tabsize", 8)
        _int_arg(size, "tab size")
        tab = "\t" if isinstance(obj, str) else b"\t"
        return len(obj) + obj.count(tab) * max(int(size), 0)  # type: ignore[arg-type]
    if name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        hits = len(obj) + 1 if not old else obj.count(old)
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            hits = min(hits, args[2])
        return len(obj) + hits * len(new)
    if name == "join" and args:
        items = args[0]
        count = len(items) if hasattr(items, "__len__") else MAX_ITEMS
        return _weigh(items) + len(obj) * count
    if name == "translate" and args and isinstance(obj, str):
        table = args[0]
        if isinstance(table, Mapping):
            longest = max((_weigh(v) for v in table.values()), default=1)
            return len(obj) * max(longest, 1)
    return 0


def _filter_size(name: str, value: Any, args: tuple[Any, ...], kw: dict[str, Any]) -> int:
    """Upper bound of a filter's string result (0 when it cannot amplify)."""
    if name == "center":
        width = args[0] if args else kw.get("width", 80)
        _int_arg(width, "width")
        return max(_weigh(value), int(width))
    if name == "indent":
        width = args[0] if args else kw.get("width", 4)
        _int_arg(width, "width")
        pad = len(width) if isinstance(width, str) else int(width)
        text = str(value) if isinstance(value, str) else ""
        return _weigh(value) + (text.count("\n") + 1) * pad
    if name == "replace" and len(args) >= 2 and isinstance(value, str):
        return _method_size(value, "replace", tuple(str(a) for a in args[:2]), {})
    if name == "join":
        sep = args[0] if args else kw.get("d", "")
        count = len(value) if hasattr(value, "__len__") else MAX_ITEMS
        return _weigh(value) + _weigh(sep) * count
    if name == "format" and isinstance(value, str):
        return _percent_size(value, kw or args)
    if name in ("string", "tojson"):
        indent = kw.get("indent") if name == "tojson" else None
        _int_arg(indent, "indent")
        pad = indent if isinstance(indent, int) else len(indent or "")
        return (6 if name == "tojson" else 1) * _weigh(value) * (1 + min(pad, 64))
    if name == "truncate":
        end = kw.get("end", args[2] if len(args) > 2 else "...")
        return _weigh(value) + _weigh(end)
    if name in ("batch", "slice"):
        count = args[0] if args else 0
        if isinstance(count, int) and count > MAX_ITEMS:
            raise _Exceeded(f"{name} of {count} is over {MAX_ITEMS}")
    if name == "sum":
        items = value if isinstance(value, list | tuple) else []
        start = kw.get("start", args[1] if len(args) > 1 else 0)
        if not all(isinstance(v, int | float) for v in (*items, start)):
            raise _Exceeded("sum adds numbers only in policies")
    return 0


# Filters a policy may use; the rest (random, pprint, urlize, striptags, xmlattr,
# wordwrap, escape/safe, ...) are nondeterministic, slow on hostile input or for HTML.
_FILTERS = [
    "abs",
    "attr",
    "batch",
    "capitalize",
    "center",
    "count",
    "d",
    "default",
    "dictsort",
    "first",
    "float",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
]
_MATERIALIZE = frozenset(
    [
        "batch",
        "dictsort",
        "first",
        "groupby",
        "join",
        "last",
        "list",
        "max",
        "min",
        "reverse",
        "slice",
        "sort",
        "sum",
        "tojson",
        "unique",
    ]
)


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    skip = 0 if _PassArg.from_obj(func) is None else 1  # context/env comes first

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        head, value, rest = args[:skip], args[skip], args[skip + 1 :]
        if name in _MATERIALIZE:
            value = _materialize(value)
        size = _filter_size(name, value, rest, kwargs)
        if size > MAX_STRING_CHARS:
            raise _too_long(f"filter {name}", size)
        result = func(*head, value, *rest, **kwargs)
        return _check_size(result)

    return bounded


class _BoundedCodeGenerator(CodeGenerator):
    """``a ~ b`` joins through the environment, which bounds the result's size."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.trails_str_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


@jinja2.pass_context
def _finalize(_context: Any, value: Any) -> Any:
    """Every ``{{ value }}`` is weighed before ``str()`` turns it into text."""
    _budget().tick()
    size = len(value) if isinstance(value, str) else _weigh(value)
    if size > MAX_STRING_CHARS:
        raise _too_long("an output", size)
    return value


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox (no ``list.append`` doubling) plus the render bounds."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            optimized=False,  # nothing is evaluated while compiling
            finalize=_finalize,
        )
        self.filters = {n: _bounded_filter(n, self.filters[n]) for n in _FILTERS}
        for name in ("lipsum",):
            self.globals.pop(name, None)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every ``for`` iterates through ``trails_loop``, which counts iterations."""
        tree = super()._parse(source, name, filename)
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("trails_loop"),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        return tree

    @staticmethod
    def trails_loop(iterable: Iterable[Any]) -> Iterator[Any]:
        budget = _budget()
        for item in iterable:
            budget.step()
            yield item

    @staticmethod
    def trails_str_join(parts: Iterable[Any]) -> str:
        _budget().tick()
        texts: list[str] = []
        size = 0
        for part in parts:
            size += len(part) if isinstance(part, str) else _weigh(part)
            if size > MAX_STRING_CHARS:
                raise _too_long("a ~ concatenation", size)
            texts.append(part if isinstance(part, str) else str(part))
        return "".join(texts)

    def concat(self, parts: Iterable[str]) -> str:
        """Joins the output of a template, macro or block: the whole is bounded too."""
        budget = _budget()
        texts: list[str] = []
        size = 0
        for part in parts:
            budget.tick()
            size += len(part)
            if size > MAX_STRING_CHARS:
                raise _too_long("the rendered text", size)
            texts.append(part)
        return "".join(texts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
                    limit = MAX_ITEMS if isinstance(seq, list | tuple) else MAX_STRING_CHARS
                    if len(seq) * count > limit:
                        raise _Exceeded(f"repetition result is too large (over {limit})")
            if isinstance(left, int) and isinstance(right, int):
                self._int_bits(left.bit_length() + right.bit_length())
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                self._int_bits(max(left.bit_length() - 1, 0) * right)
            elif isinstance(right, int | float) and abs(right) > MAX_INT_BITS:
                raise _Exceeded("exponent is too large")
        elif operator == "+":
            same = type(left) is type(right) or (isinstance(left, str) and isinstance(right, str))
            if same and isinstance(left, str | bytes | list | tuple):
                limit = MAX_ITEMS if isinstance(left, list | tuple) else MAX_STRING_CHARS
                if len(left) + len(right) > limit:
                    raise _Exceeded(f"a sum over {limit} characters or items")
        elif operator == "%" and isinstance(left, str | bytes):
            fmt = left if isinstance(left, str) else left.decode("latin-1")
            size = _percent_size(fmt, right)
            if size > MAX_STRING_CHARS:
                raise _too_long("% formatting", size)
        return _check_size(super().call_binop(context, operator, left, right))

    @staticmethod
    def _int_bits(bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise _Exceeded(f"an integer of about {bits} bits, over {MAX_INT_BITS}")

    def getattr(self, obj: Any, attribute: str) -> Any:
        _budget().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _budget().tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map``, sized from the format spec before formatting."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__
        is_map = value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            _budget().tick()
            mapping = args[0] if is_map and args and isinstance(args[0], Mapping) else kwargs
            size = _format_size(fmt, () if is_map else args, mapping)
            if size > MAX_STRING_CHARS:
                raise _too_long("str.format", size)
            return str(_check_size(wrapped(*args, **kwargs)))

        return bounded

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        nests = isinstance(__obj, Macro | LoopContext)
        if nests:
            budget.step()
            if budget.depth >= MAX_CALL_DEPTH:
                raise _Exceeded(f"macro or loop calls nest deeper than {MAX_CALL_DEPTH}")
            if isinstance(__obj, LoopContext) and args:
                args = (__self.trails_loop(args[0]), *args[1:])
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | bytes) and callable(__obj):
            name = getattr(__obj, "__name__", "")
            size = _method_size(owner, name, args, kwargs)
            if size > MAX_STRING_CHARS:
                raise _too_long(f"{type(owner).__name__}.{name}", size)
        elif isinstance(owner, int) and getattr(__obj, "__name__", "") == "to_bytes":
            _int_arg(args[0] if args else kwargs.get("length", 1), "length")
        budget.depth += nests
        try:
            return _check_size(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= nests


_ENV = _BoundedSandbox()


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def render_string(value: str, variables: Mapping[str, Any], loc: SourceLoc) -> str:
    if not any(m in value for m in _MARKERS):
        return value
    token = _BUDGET.set(_Budget()) if _BUDGET.get() is None else None
    try:
        out = _render(value, variables, loc)
    finally:
        if token is not None:
            _BUDGET.reset(token)
    if len(out) > MAX_RENDERED_CHARS:
        raise TemplateLimitError(
            loc, f"template renders to more than {MAX_RENDERED_CHARS} characters"
        )
    return out


def _render(value: str, variables: Mapping[str, Any], loc: SourceLoc) -> str:
    try:
        return _compile(value).render(**variables)
    except jinja2.TemplateSyntaxError as exc:
        raise SourceError(_at(loc, exc.lineno), f"template syntax error: {exc.message}") from None
    except _Exceeded as exc:
        raise TemplateLimitError(loc, f"template exceeds a render bound: {exc}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise SourceError(loc, f"template sandbox violation: {exc}") from None
    except jinja2.UndefinedError as exc:
        raise SourceError(loc, f"undefined template variable: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise SourceError(loc, f"template error: {_one_line(exc)}") from None
    except RecursionError:
        raise TemplateLimitError(
            loc, "template exceeds a render bound: values or calls nest too deeply"
        ) from None
    except MemoryError:
        raise TemplateLimitError(loc, "template exceeds a render bound: out of memory") from None
    except (ArithmeticError, ValueError, TypeError, LookupError, OverflowError) as exc:
        raise SourceError(loc, f"template failed: {type(exc).__name__}: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _at(loc: SourceLoc, template_line: int | None) -> SourceLoc:
    return SourceLoc(loc.path, loc.line + max((template_line or 1) - 1, 0))


def render_tree(node: Any, variables: Mapping[str, Any], path: str, line: int) -> Any:
    """A copy of ``node`` with every string rendered; line numbers are kept. One budget
    (loop iterations, time) covers the whole tree: the bounds are per file."""
    if _BUDGET.get() is not None:
        return _render_tree(node, variables, path, line)
    token = _BUDGET.set(_Budget())
    try:
        return _render_tree(node, variables, path, line)
    finally:
        _BUDGET.reset(token)


def _render_tree(node: Any, variables: Mapping[str, Any], path: str, line: int) -> Any:
    if isinstance(node, str):
        return render_string(node, variables, SourceLoc(path, line))
    if isinstance(node, LineDict):
        out = LineDict()
        out.line, out.key_lines = node.line, node.key_lines
        for key, value in node.items():
            out[key] = _render_tree(value, variables, path, node.key_lines.get(key, node.line))
        return out
    if isinstance(node, LineList):
        items = LineList(
            _render_tree(v, variables, path, node.item_lines[i]) for i, v in enumerate(node)
        )
        items.line, items.item_lines = node.line, node.item_lines
        return items
    return node
