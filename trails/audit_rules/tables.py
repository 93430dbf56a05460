"""What auditctl knows: syscall tables per architecture, fields, message types, errno names.

The large tables are generated from the installed audit userspace by
``scripts/gen_syscall_tables.py`` into ``data/tables.json`` and loaded once, lazily.
The small ones below are transcribed from auditctl and the kernel (lib/libaudit.c,
lib/machinetab.h, kernel/auditfilter.c) and say where each field may be used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

AUDIT_MAX_KEY_LEN = 256
AUDIT_MAX_FIELDS = 64
PATH_MAX = 4096
NAME_MAX = 255
SYSCALL_BITS = 64 * 32  # AUDIT_BITMASK_SIZE words of 32 bits
AF_MAX = 46
ARCH_64BIT = 0x80000000


@dataclass(frozen=True)
class Machine:
    name: str  # the syscall table to use
    elf: int


# audit's machine names -> machine (lib/machinetab.h).
MACHINES: dict[str, Machine] = {
    **{n: Machine("i386", 0x40000003) for n in ("i386", "i486", "i586", "i686")},
    "x86_64": Machine("x86_64", 0xC000003E),
    "ppc64": Machine("ppc64", 0x80000015),
    "ppc64le": Machine("ppc64le", 0xC0000015),
    "ppc": Machine("ppc", 0x14),
    "s390x": Machine("s390x", 0x80000016),
    "s390": Machine("s390", 0x16),
    **{n: Machine("arm", 0x40000028) for n in ("armeb", "armv5tejl", "armv5tel", "armv6l")},
    "armv7l": Machine("arm", 0x40000028),
    "arm": Machine("arm", 0x40000028),
    "aarch64": Machine("aarch64", 0xC00000B7),
}
ELF_TO_MACHINE: dict[int, Machine] = {m.elf: m for m in MACHINES.values()}
# b32 on a 64-bit machine means its compat machine (audit_determine_machine).
COMPAT_32 = {"x86_64": "i386", "ppc64": "ppc", "ppc64le": "ppc", "s390x": "s390", "aarch64": "arm"}

LISTS = ("task", "exit", "user", "exclude", "filesystem", "io_uring")
UID_FIELDS = frozenset({"uid", "euid", "suid", "fsuid", "auid", "loginuid", "obj_uid"})
GID_FIELDS = frozenset({"gid", "egid", "sgid", "fsgid", "obj_gid"})
SUBJ_FIELDS = frozenset({"subj_user", "subj_role", "subj_type", "subj_sen", "subj_clr"})
OBJ_FIELDS = frozenset({"obj_user", "obj_role", "obj_type", "obj_lev_low", "obj_lev_high"})
STRING_FIELDS = SUBJ_FIELDS | OBJ_FIELDS | {"path", "dir", "exe"}
ARG_FIELDS = frozenset({"a0", "a1", "a2", "a3"})
# Fields auditctl accepts only on the exit list.
EXIT_ONLY = OBJ_FIELDS | {
    "path",
    "dir",
    "perm",
    "filetype",
    "exit",
    "devmajor",
    "devminor",
    "inode",
    "success",
    "ppid",
}
# Fields the exclude list takes (with the kernel's extended exclude filter).
EXCLUDE_FIELDS = frozenset({"pid", "uid", "gid", "auid", "loginuid", "msgtype"}) | SUBJ_FIELDS
FIELD_LISTS: dict[str, frozenset[str]] = {
    "msgtype": frozenset({"exclude", "user"}),
    "sessionid": frozenset({"exclude", "user", "exit"}),
    "fstype": frozenset({"filesystem"}),
}
# Operators the kernel allows per field (kernel/auditfilter.c audit_field_valid).
ALL_OPS = frozenset({"=", "!=", "<", ">", "<=", ">=", "&", "&="})
NO_BIT_OPS = frozenset({"=", "!=", "<", ">", "<=", ">="})
EQ_OPS = frozenset({"=", "!="})
FIELD_OPS: dict[str, frozenset[str]] = {
    **dict.fromkeys(ARG_FIELDS | {"pers", "devminor"}, ALL_OPS),
    **dict.fromkeys(
        {"subj_user", "subj_role", "subj_type", "obj_user", "obj_role", "obj_type"}, EQ_OPS
    ),
    **dict.fromkeys({"arch", "fstype", "filetype", "exe", "inode"}, EQ_OPS),
    **dict.fromkeys({"path", "dir", "perm"}, frozenset({"="})),
}
# Inter-field comparisons (-C): the pairs libaudit knows, in the order auditctl -l prints.
COMPARE_PAIRS: tuple[tuple[str, str], ...] = (
    ("uid", "obj_uid"),
    ("gid", "obj_gid"),
    ("euid", "obj_uid"),
    ("egid", "obj_gid"),
    ("auid", "obj_uid"),
    ("suid", "obj_uid"),
    ("sgid", "obj_gid"),
    ("fsuid", "obj_uid"),
    ("fsgid", "obj_gid"),
    ("uid", "auid"),
    ("uid", "euid"),
    ("uid", "fsuid"),
    ("uid", "suid"),
    ("auid", "fsuid"),
    ("auid", "suid"),
    ("auid", "euid"),
    ("euid", "suid"),
    ("euid", "fsuid"),
    ("suid", "fsuid"),
    ("gid", "egid"),
    ("gid", "fsgid"),
    ("gid", "sgid"),
    ("egid", "fsgid"),
    ("egid", "sgid"),
    ("sgid", "fsgid"),
)
COMPARE_CANON: dict[frozenset[str], tuple[str, str]] = {frozenset(p): p for p in COMPARE_PAIRS}


@cache
def _data() -> dict[str, Any]:
    text = resources.files("trails.audit_rules").joinpath("data/tables.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def syscalls(machine: str) -> dict[str, int]:
    table: dict[str, int] = _data()["syscalls"][machine]
    return table


@cache
def syscall_names(machine: str) -> dict[int, str]:
    return {nr: name for name, nr in syscalls(machine).items()}


@cache
def field_names() -> frozenset[str]:
    """Every name ``-F`` takes (``field_compare`` is internal; ``key`` is parsed apart)."""
    return frozenset(_data()["fields"]) - {"field_compare"}


def canonical_field(name: str) -> str:
    """The name ``auditctl -l`` prints for a field (``loginuid`` -> ``auid``)."""
    return "auid" if name == "loginuid" else name


def msgtypes() -> dict[str, int]:
    table: dict[str, int] = _data()["msgtypes"]
    return table


@cache
def msgtype_names() -> dict[int, str]:
    return {nr: name for name, nr in msgtypes().items()}


def errnos() -> dict[str, int]:
    table: dict[str, int] = _data()["errnos"]
    return table


@cache
def errno_names() -> dict[int, str]:
    return {nr: name for name, nr in errnos().items()}


def filetypes() -> dict[str, int]:
    table: dict[str, int] = _data()["filetypes"]
    return table


def fstypes() -> dict[str, int]:
    table: dict[str, int] = _data()["fstypes"]
    return table


@cache
def lowered(table: str) -> dict[str, int]:
    """A name table keyed by lower-case name (libaudit's lookups ignore case)."""
    return {name.lower(): nr for name, nr in _data()[table].items()}


def machine_names() -> tuple[str, ...]:
    return tuple(sorted(_data()["syscalls"]))
