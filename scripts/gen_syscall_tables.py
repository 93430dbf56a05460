#!/usr/bin/env python3
"""Regenerate trails/audit_rules/data/tables.json from the installed audit userspace.

Syscall tables come from ``ausyscall <arch> --dump`` (one table per architecture that
auditctl knows). Field names, message types, errno names, file types, filesystem types
and filter lists come from libaudit itself (through ctypes), so the shipped tables say
exactly what the auditctl on this machine accepts. Run it where auditd is installed:

    python scripts/gen_syscall_tables.py            # writes the JSON
    python scripts/gen_syscall_tables.py --check    # exits 1 if the JSON is stale
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "trails" / "audit_rules" / "data" / "tables.json"
ARCHES = ("x86_64", "i386", "aarch64", "arm", "ppc", "ppc64", "ppc64le", "s390", "s390x")
# Names libaudit maps to a field but never prints (aliases); found in lib/fieldtab.h.
FIELD_ALIASES = ("loginuid", "auid", "obj_uid", "obj_gid")
LISTS = ("task", "entry", "exit", "user", "exclude", "filesystem", "io_uring")
FILETYPES = ("block", "character", "dir", "fifo", "file", "link", "socket")
FSTYPES = ("debugfs", "tracefs")


def dump_syscalls(arch: str) -> dict[str, int]:
    out = subprocess.run(
        ["ausyscall", arch, "--dump"], capture_output=True, text=True, check=True
    ).stdout
    table: dict[str, int] = {}
    for line in out.splitlines()[1:]:  # first line: "Using <arch> syscall table:"
        number, name = line.split("\t")
        table[name] = int(number)
    return table


def load_libaudit() -> ctypes.CDLL:
    name = ctypes.util.find_library("audit") or "libaudit.so.1"
    lib = ctypes.CDLL(name)
    for fn in (
        "audit_field_to_name",
        "audit_msg_type_to_name",
        "audit_errno_to_name",
        "audit_ftype_to_name",
        "audit_fstype_to_name",
    ):
        getattr(lib, fn).restype = ctypes.c_char_p
    return lib


def build() -> dict[str, object]:
    lib = load_libaudit()
    fields: dict[str, int] = {}
    for number in range(0, 256):
        name = lib.audit_field_to_name(number)
        if name:
            fields[name.decode()] = number
    for alias in FIELD_ALIASES:
        number = lib.audit_name_to_field(alias.encode())
        if number >= 0:
            fields[alias] = number
    msgtypes: dict[str, int] = {}
    for number in range(1000, 3000):
        name = lib.audit_msg_type_to_name(number)
        if name:
            msgtypes[name.decode()] = number
    errnos: dict[str, int] = {}
    for number in range(1, 256):
        name = lib.audit_errno_to_name(number)
        if name:
            errnos[name.decode()] = number
    filetypes = {n: lib.audit_name_to_ftype(n.encode()) for n in FILETYPES}
    fstypes = {n: lib.audit_name_to_fstype(n.encode()) & 0xFFFFFFFF for n in FSTYPES}
    lists = {n: lib.audit_name_to_flag(n.encode()) for n in LISTS}
    return {
        "generated_by": "scripts/gen_syscall_tables.py",
        "syscalls": {arch: dump_syscalls(arch) for arch in ARCHES},
        "fields": dict(sorted(fields.items())),
        "msgtypes": dict(sorted(msgtypes.items())),
        "errnos": dict(sorted(errnos.items())),
        "filetypes": {k: v for k, v in filetypes.items() if v >= 0},
        "fstypes": fstypes,
        "lists": {k: v for k, v in lists.items() if v >= 0},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the JSON is stale")
    args = parser.parse_args()
    text = json.dumps(build(), indent=1, sort_keys=False) + "\n"
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale; run scripts/gen_syscall_tables.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
