#!/usr/bin/env python3
"""Generate trails' table of osquery option names and types from osquery's source.

osquery declares each flag (settable on the command line, in a flagfile, or as a config
``options`` key) with a macro: ``FLAG(type, name, default, help)``, ``CLI_FLAG`` (command
line or flagfile only: osquery ignores it in config options), ``HIDDEN_FLAG``, and
``FLAG_ALIAS(type, alias, name)``. This reads those declarations at a tag of a git
clone of osquery/osquery (no work tree needed; test sources are skipped) and writes a
compact JSON file, one flag per line:

    python scripts/gen_osquery_flags.py --mirror /path/to/osquery.git --ref 5.23.1 \
        trails/osquery/data/osquery-flags-5.23.1.json

A few glog flags that osquery's options parser accepts (plugins/config/parsers/options.cpp
``kVerboseOptions``; ``logtostderr``/``stderrthreshold`` are registered as CLI-only in
osquery/core/init.cpp) are not declared with the macros and are added from ``_GLOG``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

FORMAT = "trails.osquery-flags/v1"
_MACRO = re.compile(r"^(FLAG|CLI_FLAG|HIDDEN_FLAG)\(\s*(\w+)\s*,\s*(\w+)\s*,", re.MULTILINE)
_ALIAS = re.compile(r"^FLAG_ALIAS\(\s*([\w:]+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\)", re.MULTILINE)
_TYPES = {"bool", "string", "int32", "int64", "uint32", "uint64", "double"}
# glog flags osquery accepts as options: name -> (type, cli only)
_GLOG = {
    "alsologtostderr": ("bool", False),
    "logtostderr": ("bool", True),
    "minloglevel": ("int32", False),
    "stderrthreshold": ("int32", True),
}


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(mirror), *args], check=True, capture_output=True, text=True
    ).stdout


def _type(raw: str) -> str:
    name = raw.removeprefix("google::").removeprefix("std::")
    if name not in _TYPES:
        raise ValueError(f"unexpected flag type {raw!r}")
    return name


def collect(mirror: Path, ref: str) -> dict[str, list[str]]:
    """name -> [type, kind] with kind ``flag``, ``cli``, ``hidden`` or ``alias:<name>``."""
    listed = _git(
        mirror,
        "grep",
        "-l",
        "-E",
        r"^(FLAG|CLI_FLAG|HIDDEN_FLAG|FLAG_ALIAS)\(",
        ref,
        "--",
        "osquery",
        "plugins",
    )
    flags: dict[str, list[str]] = {}
    aliases: list[tuple[str, str]] = []
    for entry in sorted(listed.splitlines()):
        path = entry.split(":", 1)[1]
        if "/tests/" in path or "/benchmarks/" in path or path.endswith(".h"):
            continue
        text = _git(mirror, "show", f"{ref}:{path}")
        for macro, typ, name in _MACRO.findall(text):
            kind = {"FLAG": "flag", "CLI_FLAG": "cli", "HIDDEN_FLAG": "hidden"}[macro]
            flags[name] = [_type(typ), kind]
        aliases += [(alias, target) for _, alias, target in _ALIAS.findall(text)]
    for name, (typ, cli) in _GLOG.items():
        flags.setdefault(name, [typ, "cli" if cli else "flag"])
    for alias, target in aliases:
        if target in flags:
            flags[alias] = [flags[target][0], f"alias:{target}"]
    return flags


def dump(version: str, commit: str, flags: dict[str, list[str]]) -> bytes:
    lines = [f"{json.dumps(n)}: {json.dumps(v)}" for n, v in sorted(flags.items())]
    head = (
        f'{{"format": {json.dumps(FORMAT)}, "osquery_version": {json.dumps(version)}, '
        f'"source": {{"repository": "https://github.com/osquery/osquery", '
        f'"ref": {json.dumps(version)}, "commit": {json.dumps(commit)}}}, "flags": {{\n'
    )
    return (head + ",\n".join(lines) + "\n}}\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True, help="git dir of osquery/osquery")
    parser.add_argument("--ref", default="5.23.1", help="tag to read (default 5.23.1)")
    parser.add_argument("output", type=Path, help="where to write the flags file")
    args = parser.parse_args(argv)
    commit = _git(args.mirror, "rev-parse", f"{args.ref}^{{commit}}").strip()
    flags = collect(args.mirror, args.ref)
    args.output.write_bytes(dump(args.ref, commit, flags))
    print(f"wrote {args.output}: {len(flags)} flags, osquery {args.ref} ({commit[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
