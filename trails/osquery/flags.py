"""osquery's options (flags) and their types, to check a config's ``options``.

trails ships the names and types of osquery's flags, generated from osquery's source by
``scripts/gen_osquery_flags.py`` (``FLAG``, ``CLI_FLAG``, ``HIDDEN_FLAG`` and
``FLAG_ALIAS`` declarations at the release tag). osquery hands every option value to
gflags as a string, so ``"10"`` is as good as ``10`` for an integer flag; this checks
what gflags would refuse. ``custom_*`` options are osquery's free-form extension keys.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from trails.models.diagnostic import did_you_mean

FORMAT = "trails.osquery-flags/v1"
SHIPPED_VERSION = "5.23.1"
SHIPPED_FLAGS_PATH = Path(__file__).parent / "data" / f"osquery-flags-{SHIPPED_VERSION}.json"
CUSTOM_PREFIX = "custom_"
_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}
# gflags' spellings of a boolean (case-insensitive)
_BOOL_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "t", "f", "y", "n"})


@dataclass(frozen=True)
class Flag:
    name: str
    type: str  # bool, string, int32, int64, uint32, uint64, double
    cli: bool = False  # CLI_FLAG: osquery ignores it in config options
    alias_of: str = ""


@dataclass(frozen=True)
class OptionProblem:
    code: str  # option.unknown, option.type, option.cli-only
    message: str
    error: bool = True


@dataclass(frozen=True)
class OsqueryFlags:
    version: str
    flags: Mapping[str, Flag]

    def check(self, name: str, value: object) -> OptionProblem | None:
        """What is wrong with ``options: {name: value}``; None when osquery takes it."""
        if name.startswith(CUSTOM_PREFIX):
            return None
        flag = self.flags.get(name)
        if flag is None:
            hint = did_you_mean(name, self.flags)
            return OptionProblem(
                "option.unknown", f"option {name} is not an osquery {self.version} flag{hint}"
            )
        if not _fits(flag.type, value):
            return OptionProblem(
                "option.type",
                f"option {name} takes {_describe(flag.type)}, not {value!r}",
            )
        if flag.cli:
            return OptionProblem(
                "option.cli-only",
                f"option {name} is a command-line flag: osquery ignores it in config options "
                "(set it in the agent's flagfile)",
                error=False,
            )
        return None


def _describe(typ: str) -> str:
    if typ == "bool":
        return "a boolean"
    if typ == "string":
        return "a string"
    if typ == "double":
        return "a number"
    low, high = _INT_RANGES[typ]
    return f"an integer {low}..{high}" if low else "a non-negative integer"


def _fits(typ: str, value: object) -> bool:
    if typ == "bool":
        if isinstance(value, bool):
            return True
        return isinstance(value, str) and value.strip().lower() in _BOOL_WORDS
    if typ == "string":
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if typ == "double":
        if isinstance(value, int | float):
            return math.isfinite(value)
        try:
            return math.isfinite(float(str(value)))
        except ValueError:
            return False
    number: int
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        return False
    low, high = _INT_RANGES[typ]
    return low <= number <= high


def parse_flags(doc: object) -> OsqueryFlags:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} document")
    flags = {}
    for name, (typ, kind) in doc["flags"].items():
        alias = kind.removeprefix("alias:") if kind.startswith("alias:") else ""
        flags[name] = Flag(name, typ, cli=kind == "cli", alias_of=alias)
    for name, flag in flags.items():
        if flag.alias_of in flags:  # an alias is as CLI-only as its flag
            flags[name] = Flag(name, flag.type, flags[flag.alias_of].cli, flag.alias_of)
    return OsqueryFlags(str(doc["osquery_version"]), flags)


@functools.cache
def load_flags(path: Path = SHIPPED_FLAGS_PATH) -> OsqueryFlags:
    return parse_flags(json.loads(path.read_text("utf-8")))
