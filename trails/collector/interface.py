"""What a collector table reads (a host) and what it is asked for (the constraints)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Value = str | int | float | None
_MAX_SYMLINK_HOPS = 40  # as the kernel's ELOOP limit
Row = dict[str, Value]


@dataclass(frozen=True)
class Runtime:
    """Where the running system's state is read: the kernel's ``/proc`` and ``/sys``
    (or directories laid out like them) and systemd's unit states.

    ``units`` is a JSON file in the shape of ``systemctl list-units --all --output=json``
    with ``unit_file_state`` added per unit; ``None`` asks the running systemd.
    """

    proc: Path
    sys: Path
    units: Path | None = None


LIVE = Runtime(proc=Path("/proc"), sys=Path("/sys"))


@dataclass(frozen=True)
class Host:
    """A file system to read (never written) and, when it is the running system, its
    runtime. ``runtime`` None: every runtime-only table is empty."""

    root: Path
    runtime: Runtime | None = None
    # what a table loads once per host (augeas' tree): table name -> object
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def path(self, absolute: str, *, follow: bool = True) -> Path:
        """``absolute`` (a path on the host) under the root, symlinks resolved as the
        host would resolve them (an absolute target starts again at the root), never
        escaping it; ``follow`` False leaves a symlink in the last component as it is."""
        todo = [p for p in absolute.split("/") if p not in ("", ".")]
        done: list[str] = []
        hops = 0
        while todo:
            part = todo.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            here = self.root.joinpath(*done, part)
            if (todo or follow) and here.is_symlink() and hops < _MAX_SYMLINK_HOPS:
                hops += 1
                target = os.readlink(here)
                if target.startswith("/"):
                    done = []
                todo = [p for p in target.split("/") if p not in ("", ".")] + todo
                continue
            done.append(part)
        return self.root.joinpath(*done)


@dataclass(frozen=True)
class Constraint:
    column: str
    op: str  # "=", "LIKE", "GLOB", "<", "<=", ">", ">=", "!="
    value: Value


@dataclass(frozen=True)
class Query:
    """The constraints SQLite passed to one scan of a table (as osquery's QueryContext)."""

    constraints: tuple[Constraint, ...] = ()

    def values(self, column: str, op: str = "=") -> list[Value]:
        return [c.value for c in self.constraints if c.column == column and c.op == op]

    def texts(self, column: str, op: str = "=") -> list[str]:
        return [str(v) for v in self.values(column, op) if v is not None]


Generator = Callable[[Host, Query], Iterable[Row]]


@dataclass(frozen=True)
class Table:
    """One osquery table as the collector builds it.

    ``runtime``: the table shows the running system only; ``constrained``: the columns
    whose constraints the generator reads (osquery's index/required columns).
    """

    name: str
    generate: Generator
    runtime: bool = False
    constrained: tuple[str, ...] = field(default=())
