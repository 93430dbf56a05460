"""Math (osquery/sql/sqlite_math.cpp): osquery's log() is natural, ceil/floor return
integers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from trails.osquery.functions.values import OsqueryFunctionError, as_double


def _double_fn(fn: Callable[[float], float]) -> Callable[[Any], float | None]:
    def call(value: Any) -> float | None:
        if value is None:
            return None
        try:
            result = fn(as_double(value))
        except (ValueError, OverflowError, ZeroDivisionError) as exc:
            raise OsqueryFunctionError(str(exc)) from None
        if math.isnan(result):
            raise OsqueryFunctionError("Numerical argument out of domain")
        return result

    return call


def _rounding(fn: Callable[[float], int]) -> Callable[[Any], int | None]:
    def call(value: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        number = as_double(value)
        return fn(number) if math.isfinite(number) else 0

    return call


def power(base: Any, exponent: Any) -> float | None:
    if base is None or exponent is None:
        return None
    try:
        return math.pow(as_double(base), as_double(exponent))
    except (ValueError, OverflowError) as exc:
        raise OsqueryFunctionError(str(exc)) from None


_MATH: dict[str, Callable[[float], float]] = {
    "sqrt": math.sqrt,
    "acos": math.acos,
    "asin": math.asin,
    "atan": math.atan,
    "cos": math.cos,
    "sin": math.sin,
    "tan": math.tan,
    "cot": lambda x: 1.0 / math.tan(x),
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "degrees": math.degrees,
    "radians": math.radians,
}


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "power": (2, power),
    "ceil": (1, _rounding(math.ceil)),
    "floor": (1, _rounding(math.floor)),
    "pi": (0, lambda: math.pi),
    **{name: (1, _double_fn(fn)) for name, fn in _MATH.items()},
}
