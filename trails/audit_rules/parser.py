"""Read auditctl rule-file text into :mod:`trails.audit_rules.model` values.

auditctl reads a rule file one line at a time, splits it on spaces, and runs each line
through ``getopt``. This parser does the same, so a line that auditctl would read
differently is reported instead of guessed at. It never raises on bad input: a bad line
becomes an error :class:`~trails.models.diagnostic.Diagnostic` at ``file:line`` and is
skipped. Only the *shape* of each line is checked here; what the names and values mean
is :mod:`trails.audit_rules.validate`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from trails.audit_rules.model import (
    CONTROL_OPTIONS,
    OPERATORS,
    AuditRule,
    Compare,
    ControlRule,
    FieldCond,
    Key,
    ParseResult,
    Part,
    Perm,
    Rule,
    Syscalls,
)
from trails.audit_rules.tables import LISTS
from trails.errors import SourceLoc
from trails.models.diagnostic import Diagnostic, Severity

# auditctl reads lines into a 6144-byte buffer; a longer line is split silently there.
MAX_LINE = 6143
MAX_RULES = 50_000  # per input: bounds memory (about 90 MB) on hostile files
MAX_DIAGNOSTICS = 1_000

_OTHER_OPS = frozenset("!<>&")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_SHORT_WITH_ARG = set("CefrbaAdSFmRwWkpq")
_SHORT_NO_ARG = set("hicslDvt")
_LONG_WITH_ARG = {"backlog_wait_time", "signal"}
_LONG_NO_ARG = {"loginuid-immutable", "reset-lost", "reset_backlog_wait_time_actual"}
_NOT_IN_FILES = {
    "-h": "prints help",
    "-s": "reports status",
    "-l": "lists rules",
    "-v": "prints the version",
    "-t": "trims directory watches",
    "-m": "sends a user message",
    "-R": "reads another rule file (nesting is not supported)",
    "-d": "deletes a rule",
    "-W": "deletes a watch",
    "-q": "makes mount points equivalent",
    "--signal": "signals auditd",
    "--reset-lost": "resets a counter",
    "--reset_backlog_wait_time_actual": "resets a counter",
}


class LineError(Exception):
    """A line that cannot be read; the message says what is wrong."""


def split_options(tokens: list[str]) -> Iterator[tuple[str, str | None]]:
    """Yield ``(option, value)`` pairs the way auditctl's getopt_long sees them."""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if len(tok) == 2 and tok[0] == "-" and tok[1] in _SHORT_WITH_ARG and i < len(tokens):
            yield tok, tokens[i]  # the common case: "-F value"
            i += 1
        elif tok.startswith("--") and len(tok) > 2:
            name, eq, attached = tok[2:].partition("=")
            if name in _LONG_WITH_ARG:
                if eq:
                    yield "--" + name, attached
                elif i < len(tokens):
                    yield "--" + name, tokens[i]
                    i += 1
                else:
                    raise LineError(f"option --{name} needs a value")
            elif name in _LONG_NO_ARG and not eq:
                yield "--" + name, None
            else:
                raise LineError(f"unknown option {tok}")
        elif tok.startswith("-") and len(tok) > 1 and tok != "--":
            j = 1
            while j < len(tok):
                ch = tok[j]
                j += 1
                if ch in _SHORT_WITH_ARG:
                    if j < len(tok):
                        yield "-" + ch, tok[j:]
                    elif i < len(tokens):
                        yield "-" + ch, tokens[i]
                        i += 1
                    else:
                        raise LineError(f"option -{ch} needs a value")
                    break
                if ch in _SHORT_NO_ARG:
                    yield "-" + ch, None
                else:
                    raise LineError(f"unknown option -{ch}")
        else:
            raise LineError(f"{tok!r} is not an option (auditctl: parameter without an option)")


def split_pair(text: str, what: str) -> tuple[str, str, str]:
    """``name<op>value`` -> parts, finding operators in auditctl's order."""
    if _OTHER_OPS.isdisjoint(text):  # the common case: only "=" can be there
        name, eq, value = text.partition("=")
        if eq and name and value:
            return name, "=", value
    for op in OPERATORS:
        at = text.find(op)
        if at >= 0:
            name, value = text[:at], text[at + len(op) :]
            if not name:
                raise LineError(f"{what} {text!r} has no field name")
            if not value:
                raise LineError(f"{what} {text!r} has no value")
            return name, op, value
    raise LineError(f"{what} {text!r} has no operator (=, !=, <, >, <=, >=, &, &=)")


@dataclass
class _Builder:
    """State of one line while its options are read, as auditctl's setopt keeps it."""

    lst: str | None = None
    action: str | None = None
    prepend: bool = False
    watch: str | None = None
    parts: list[Part] = field(default_factory=list)
    control: ControlRule | None = None
    any_rule_option: bool = False

    def set_list_action(self, opt: str, value: str) -> None:
        if self.lst is not None:
            what = "a watch" if self.watch is not None else "a rule"
            raise LineError(f"{opt} given twice or with -w: one line holds {what}")
        left, comma, right = value.partition(",")
        if not comma or "," in right or not left or not right:
            raise LineError(f"{opt} needs 'list,action' (for example always,exit), got {value!r}")
        if left in ("always", "never", "possible"):
            action, lst = left, right
        else:
            lst, action = left, right
        if action == "possible":
            raise LineError("the 'possible' action is deprecated and ignored by auditctl")
        if action not in ("always", "never"):
            raise LineError(f"{opt} {value!r}: action must be always or never")
        if lst == "entry":
            raise LineError("the entry list was removed from the kernel; use exit")
        if lst not in LISTS:
            raise LineError(f"{opt} {value!r}: unknown list {lst!r} (one of {', '.join(LISTS)})")
        self.lst, self.action, self.prepend = lst, action, opt == "-A"

    def add(self, opt: str, value: str | None, loc: SourceLoc) -> None:
        if opt in CONTROL_OPTIONS:
            if self.control is not None or self.any_rule_option:
                raise LineError(f"put {opt} on a line of its own")
            self.control = ControlRule(loc=loc, option=opt, value=value)
            return
        if opt in _NOT_IN_FILES:
            raise LineError(f"{opt} {_NOT_IN_FILES[opt]}; it has no place in a rule file")
        if self.control is not None:
            raise LineError(f"put {self.control.option} on a line of its own")
        self.any_rule_option = True
        if value is None:  # split_options gives every rule option a value
            raise LineError(f"{opt} needs a value")
        if opt in ("-a", "-A"):
            self.set_list_action(opt, value)
        elif opt == "-w":
            if self.lst is not None:
                raise LineError("-w cannot be combined with -a/-A or a second -w")
            self.lst, self.action, self.watch = "exit", "always", value
        elif opt == "-S":
            names = tuple(value.split(","))
            if any(not n for n in names):
                raise LineError(f"-S {value!r} has an empty syscall name")
            self.parts.append(Syscalls(names))
        elif opt == "-F":
            if self.lst is None:
                raise LineError("-F before -a/-A/-w: the list must be given before a field")
            if value.startswith("key="):
                if not value[4:]:
                    raise LineError("-F key= has no value")
                self.parts.append(Key(value[4:], flag=False))
            else:
                self.parts.append(FieldCond(*split_pair(value, "-F")))
        elif opt == "-C":
            if self.lst is None:
                raise LineError("-C before -a/-A: the list must be given first")
            self.parts.append(Compare(*split_pair(value, "-C")))
        elif opt == "-k":
            if self.lst is None:
                raise LineError("-k before -a/-A/-w: a key needs a watch or syscall rule")
            self.parts.append(Key(value, flag=True))
        elif opt == "-p":
            if self.lst is None:
                raise LineError("-p before -w: permissions need a watch given before them")
            self.parts.append(Perm(value))

    def build(self, loc: SourceLoc) -> Rule:
        if self.control is not None:
            return self.control
        if self.lst is None or self.action is None:
            raise LineError("no -a, -A or -w on this line: nothing to add")
        return AuditRule(
            loc=loc,
            list=self.lst,
            action=self.action,
            prepend=self.prepend,
            watch=self.watch,
            parts=tuple(self.parts),
        )


def _check_text(line: str) -> None:
    if len(line) > MAX_LINE:
        raise LineError(f"line is {len(line)} characters; auditctl reads at most {MAX_LINE}")
    bad = _CONTROL.search(line)
    if bad is not None:
        what = "NUL byte" if bad[0] == "\0" else f"control character {bad[0]!r}"
        raise LineError(f"{what} in rule text (auditctl splits on spaces only)")


def parse_line(line: str, loc: SourceLoc) -> Rule | None:
    """One line -> a rule, ``None`` for blank/comment lines; raises :class:`LineError`."""
    if line.endswith("\r"):
        line = line[:-1]
    if not line.strip(" "):
        return None
    _check_text(line)
    tokens = [t for t in line.split(" ") if t]
    if tokens[0].startswith("#"):
        return None
    builder = _Builder()
    for opt, value in split_options(tokens):
        builder.add(opt, value, loc)
    return builder.build(loc)


def parse_lines(lines: Iterable[str | LineError], source: str, first_line: int = 1) -> ParseResult:
    """Parse an iterable of lines (``LineError`` items report unreadable lines)."""
    rules: list[Rule] = []
    diags: list[Diagnostic] = []
    lineno = first_line - 1
    for lineno, line in enumerate(lines, start=first_line):
        loc = SourceLoc(source, lineno)
        try:
            if isinstance(line, LineError):
                raise line
            rule = parse_line(line, loc)
        except LineError as exc:
            diags.append(Diagnostic(loc, Severity.ERROR, str(exc), "audit.syntax"))
            if len(diags) >= MAX_DIAGNOSTICS:
                diags.append(
                    Diagnostic(
                        loc, Severity.ERROR, "too many errors; stopped reading", "audit.limit"
                    )
                )
                break
            continue
        if rule is not None:
            rules.append(rule)
            if len(rules) > MAX_RULES:
                diags.append(
                    Diagnostic(
                        loc,
                        Severity.ERROR,
                        f"more than {MAX_RULES} rules; split the file or check its origin",
                        "audit.limit",
                    )
                )
                rules.pop()
                break
    return ParseResult(tuple(rules), tuple(diags))


def parse(text: str, source: str = "<rules>", *, first_line: int = 1) -> ParseResult:
    """Parse rule-file text; never raises on bad rules (see ``ParseResult.diagnostics``)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return parse_lines(lines, source, first_line)
