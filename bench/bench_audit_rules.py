"""Benchmark: parse + validate + merge + render a 20,000-rule set.

The floor is reading the same file and splitting every line with ``str.split`` (what any
rule tool must at least do). Prints rules/s per stage and the ratio to the floor.

    .venv/bin/python bench/bench_audit_rules.py [--rules 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from trails.audit_rules import merge, read_file, render, validate
from trails.audit_rules.tables import syscalls

T = TypeVar("T")
FIELDS = ("-F auid>=1000 -F auid!=unset", "-F exit=-EACCES", "-F success=1", "-F a0=0x4", "")


def make_rules(n: int) -> str:
    """A realistic mix: b64/b32 twin pairs, path rules, watches; every rule distinct."""
    calls32 = set(syscalls("i386"))
    names = sorted(c for c in syscalls("x86_64") if c in calls32)
    lines = ["-D", "-b 8192", "-f 1"]
    i = 0
    while len(lines) < n + 3:
        calls = ",".join(names[(i * 7 + j) % len(names)] for j in range(1 + i % 5))
        field = f"{FIELDS[i % len(FIELDS)]} -F uid={i}".strip()
        if i % 2 == 0:
            for arch in ("b64", "b32"):
                lines.append(f"-a always,exit -F arch={arch} -S {calls} {field} -k bench-{i}")
        elif i % 4 == 1:
            lines.append(f"-a always,exit -F path=/usr/bin/tool{i} -F perm=x -k bench-{i}")
        else:
            lines.append(f"-w /etc/bench/file{i} -p wa -k bench-{i}")
        i += 1
    lines.append("-e 2")
    return "\n".join(lines[: n + 3] + lines[-1:]) + "\n"


def timed(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.rules"
        path.write_text(make_rules(args.rules))
        count = args.rules + 4

        def floor() -> int:
            return sum(len(line.split()) for line in path.read_text().splitlines())

        t_floor, _ = timed(floor)
        t_parse, parsed = timed(lambda: read_file(path))
        assert not parsed.diagnostics, parsed.diagnostics[:3]
        t_validate, diags = timed(lambda: validate(parsed.rules), repeat=1)
        errors = [d for d in diags if d.severity == "error"]
        assert not errors, errors[:3]
        t_merge, merged = timed(lambda: merge([parsed.rules]), repeat=1)
        t_render, text = timed(lambda: render(merged))
        total = t_parse + t_validate + t_merge + t_render
        print(f"audit rules: {count} lines, {len(merged)} after merge, {len(diags)} warnings")
        floor_rate = count / t_floor
        print(f"  floor (read + str.split)   {t_floor * 1e3:8.1f} ms  {floor_rate:>12,.0f} rules/s")
        for name, t in (
            ("parse", t_parse),
            ("validate + lint", t_validate),
            ("merge", t_merge),
            ("render", t_render),
        ):
            print(f"  {name:<26} {t * 1e3:8.1f} ms  {count / t:>12,.0f} rules/s")
        print(
            f"  total                      {total * 1e3:8.1f} ms  {count / total:>12,.0f} rules/s"
            f"  ({total / t_floor:.0f}x the str.split floor)"
        )
        assert len(text) > 0


if __name__ == "__main__":
    main()
