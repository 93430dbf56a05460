"""Field values as auditctl turns them into the 32-bit numbers the kernel stores.

``convert`` is shared by validation (a :class:`ValueProblem` is an error) and by
normalisation (the number is printed the way ``auditctl -l`` prints it). Names that
only the host can resolve (users, groups) raise :class:`Unresolved`, which validation
reports as a warning: the build machine is not the host that loads the rules.
"""

from __future__ import annotations

import grp
import pwd
import re

from trails.audit_rules import tables
from trails.audit_rules.tables import Machine

_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
U32 = 0xFFFFFFFF
_PERM_BITS = {"r": 4, "w": 2, "x": 1, "a": 8}


class ValueProblem(ValueError):
    """The value is wrong for its field; the message says why."""


class Unresolved(ValueProblem):
    """A user or group name this machine does not know (the target host may)."""


def c_int(text: str) -> int | None:
    """C ``strtol(text, NULL, 0)`` over the whole text: 0x.. hex, 0.. octal, decimal."""
    if not _INT.fullmatch(text):
        return None
    sign = -1 if text[0] == "-" else 1
    body = text.lstrip("+-")
    if body[:2] in ("0x", "0X"):
        return sign * int(body[2:], 16)
    if len(body) > 1 and body[0] == "0":
        return sign * int(body[1:], 8)
    return sign * int(body)


def u32(number: int, what: str) -> int:
    if not -(2**31) <= number <= U32:
        raise ValueProblem(f"{what} {number} does not fit in 32 bits")
    return number & U32


def s32(value: int) -> int:
    return value - 2**32 if value & 0x80000000 else value


def number(value: str, what: str, *, negative: bool = True) -> int:
    n = c_int(value)
    if n is None or (n < 0 and not negative):
        kind = "a number" if negative else "a non-negative number"
        raise ValueProblem(f"{what} must be {kind}, got {value!r}")
    return u32(n, what)


def host_machine(arch: str) -> Machine:
    machine = tables.MACHINES.get(arch)
    if machine is None:
        raise ValueProblem(f"unknown architecture {arch!r}")
    return machine


def resolve_arch(value: str, host: str) -> Machine:
    """``-F arch=`` value -> machine: b32/b64 relative to the host, a name, or an ELF number."""
    base = host_machine(host)
    lowered = value.lower()
    if lowered in ("b64", "b32"):
        if lowered == "b64":
            if not base.elf & tables.ARCH_64BIT:
                raise ValueProblem(f"arch=b64 on 32-bit {host}")
            return base
        compat = tables.COMPAT_32.get(base.name)
        return tables.MACHINES[compat] if compat else base
    if value in tables.MACHINES:
        return tables.MACHINES[value]
    n = c_int(value) if value[:1].isdigit() else None
    if n is not None and n in tables.ELF_TO_MACHINE:
        return tables.ELF_TO_MACHINE[n]
    raise ValueProblem(f"unknown arch {value!r} (use b32, b64 or a machine such as x86_64)")


def arch_label(machine: Machine) -> str:
    """What ``auditctl -l`` prints for an arch: the word size only."""
    return "b64" if machine.elf & tables.ARCH_64BIT else "b32"


def syscall_number(name: str, machine: Machine) -> int:
    table = tables.syscalls(machine.name)
    if name in table:
        return table[name]
    n = c_int(name) if name[:1].isdigit() else None
    if n is None:
        raise ValueProblem(f"unknown syscall {name!r} for {machine.name}")
    if n >= tables.SYSCALL_BITS:
        raise ValueProblem(f"syscall number {n} is out of range (0..{tables.SYSCALL_BITS - 1})")
    return n


def _uid(value: str, what: str) -> int:
    if value == "unset":
        return U32
    if value[:1].isdigit() or (value[:1] == "-" and value[1:2].isdigit()):
        return number(value, what)
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise Unresolved(f"unknown user {value!r} on this machine") from None


def _gid(value: str, what: str) -> int:
    if value == "unset" or value[:1] == "-":
        raise ValueProblem(f"{what} takes a group name or a number >= 0 (4294967295 for unset)")
    if value[:1].isdigit():
        return number(value, what)
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise Unresolved(f"unknown group {value!r} on this machine") from None


def _named(value: str, table: str, what: str) -> int:
    nr = tables.lowered(table).get(value.lower())
    if nr is None:
        raise ValueProblem(f"unknown {what} {value!r}")
    return nr


def _exit(value: str) -> int:
    if value[:1].isdigit() or (value[:1] == "-" and value[1:2].isdigit()):
        return number(value, "exit")
    sign = -1 if value.startswith("-") else 1
    return u32(sign * _named(value.lstrip("-"), "errnos", "errno name"), "exit")


def _perm(value: str) -> int:
    if len(value) > 4 or not value:
        raise ValueProblem(f"permission {value!r} must be 1 to 4 of r, w, x, a")
    bits = 0
    for ch in value.lower():
        bit = _PERM_BITS.get(ch)
        if bit is None:
            raise ValueProblem(f"permission {ch!r} is not one of r, w, x, a")
        bits |= bit
    return bits


def convert(name: str, value: str, host: str) -> int | str:
    """The value the kernel stores for ``name=value`` (strings stay strings)."""
    if name in tables.UID_FIELDS or name in tables.GID_FIELDS:
        n = _uid(value, name) if name in tables.UID_FIELDS else _gid(value, name)
        if n == U32 and name not in ("auid", "loginuid"):
            # The kernel maps 4294967295 to no id and refuses the rule; only auid
            # has the legacy "unset" meaning (kernel/auditfilter.c).
            raise ValueProblem(f"{name} cannot be unset (4294967295): only auid can")
        return n
    if name in tables.STRING_FIELDS:
        if len(value) > tables.PATH_MAX:
            raise ValueProblem(f"{name} value is longer than {tables.PATH_MAX} characters")
        return value
    if name == "arch":
        return resolve_arch(value, host).elf
    if name == "exit":
        return _exit(value)
    if name == "msgtype":
        if value[:1].isdigit():
            return number(value, name)
        return _named(value, "msgtypes", "message type")
    if name == "perm":
        return _perm(value)
    if name == "filetype":
        return _named(value, "filetypes", "file type")
    if name == "fstype":
        if value[:1].isdigit():
            return number(value, name)
        return _named(value, "fstypes", "filesystem type")
    if name == "sessionid":
        return U32 if value == "unset" else number(value, name)
    if name in tables.ARG_FIELDS:
        return number(value, name)
    if not value[:1].isdigit():
        raise ValueProblem(f"{name} must be a number, got {value!r}")
    n = number(value, name)
    if name == "saddr_fam" and n >= tables.AF_MAX:
        raise ValueProblem(f"saddr_fam {n} is not an address family (0..{tables.AF_MAX - 1})")
    return n


def perm_text(bits: int) -> str:
    return "".join(ch for ch, bit in (("r", 4), ("w", 2), ("x", 1), ("a", 8)) if bits & bit)
