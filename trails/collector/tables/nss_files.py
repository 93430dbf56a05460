"""glibc's ``files`` NSS backend, which osquery's account tables reach through
``fgetpwent_r``, ``getpwent``/``getpwuid``, ``getgrent``/``getgrgid``, ``getspent``/
``getspnam`` and ``getgrouplist`` (glibc's nss_files/files-parse.c, pwd/fgetpwent_r.c,
grp/fgetgrent_r.c, shadow/sgetspent_r.c, nss/nss_readline.c, files-initgroups.c).

Lines lose their leading whitespace, blank and ``#`` lines are skipped, a NUL ends a
line; numeric fields are ``strtoul`` clamped to 32 bits (``-1`` is 4294967295); a
line the parser rejects is skipped. A reader with a fixed buffer (``buflen``, osquery's
1024-byte ``_SC_GETPW_R_SIZE_MAX`` for passwd) stops at the first line that does not
fit it. Lookups by name or id skip ``+``/``-`` (NIS compat) entries. Only the files
under the root are read: LDAP, sssd and systemd's synthesized users are not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trails.collector.interface import Host
from trails.collector.tables._ported import C_SPACE, read_bytes

PASSWD_BUFLEN = 1024  # glibc's sysconf(_SC_GETPW_R_SIZE_MAX), which osquery passes
_ULONG_MAX = 2**64 - 1
U32_MAX = 0xFFFFFFFF


@dataclass(frozen=True)
class Passwd:
    name: str
    uid: int
    gid: int
    gecos: str | None
    dir: str | None
    shell: str | None


@dataclass(frozen=True)
class Group:
    name: str
    gid: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Shadow:
    name: str
    password: str | None
    last_change: int
    min: int
    max: int
    warning: int
    inactive: int
    expire: int
    flag: int | None  # glibc's ~0ul, which osquery cannot cast to BIGINT: NULL


class _Reject(Exception):
    """The line parser returned 0: glibc skips the line."""


def _raw_lines(data: bytes) -> Iterator[tuple[bytes, int]]:
    """Each line (up to a NUL) and the bytes ``fgets`` reads for it."""
    pieces = data.split(b"\n")
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        if last and not piece:
            return
        yield piece.split(b"\0", 1)[0], len(piece) + (0 if last else 1)


def readline_lines(data: bytes, buflen: int | None = None) -> Iterator[str]:
    """``__nss_readline``: lines without leading whitespace, comments and blanks
    skipped; a line of ``buflen - 1`` bytes or more (with its newline) ends the file."""
    for line, size in _raw_lines(data):
        if buflen is not None and size >= buflen - 1:
            return
        text = line.decode("utf-8", errors="replace").lstrip(C_SPACE)
        if text and text[0] != "#":
            yield text


def strtou32(line: str) -> tuple[int, int]:
    """``strtou32``: (value, characters consumed); 0 consumed when there is no number."""
    i = len(line) - len(line.lstrip(C_SPACE))
    negative = i < len(line) and line[i] == "-"
    if i < len(line) and line[i] in "+-":
        i += 1
    end = i
    while end < len(line) and "0" <= line[end] <= "9":
        end += 1
    if end == i:
        return 0, 0
    value = int(line[i:end])
    if value > _ULONG_MAX:
        value = _ULONG_MAX
    elif negative:
        value = -value % 2**64
    return min(value, U32_MAX), end


def _string_field(line: str) -> tuple[str, str]:
    field, _, rest = line.partition(":")
    return field, rest


def _int_field(line: str) -> tuple[int, str]:
    value, end = strtou32(line)
    if end == 0:
        raise _Reject
    return value, _after_number(line, end, colon=True)


def _int_field_maybe_null(line: str, default: int, *, colon: bool = True) -> tuple[int, str]:
    if not line:
        raise _Reject
    value, end = strtou32(line)
    if end == 0:
        value = default
    return value, _after_number(line, end, colon=colon)


def _after_number(line: str, end: int, *, colon: bool) -> str:
    if end < len(line) and colon and line[end] == ":":
        return line[end + 1 :]
    if end < len(line):
        raise _Reject
    return ""


def _signed(value: int) -> int:
    """glibc's ``(long int) (int)`` of a 32-bit field."""
    return value - 2**32 if value >= 2**31 else value


def _compat(name: str) -> bool:
    return name.startswith(("+", "-"))


def parse_passwd(line: str) -> Passwd | None:
    try:
        name, line = _string_field(line)
        if not line and _compat(name):
            return Passwd(name, 0, 0, None, None, None)
        _, line = _string_field(line)
        if _compat(name):
            uid, line = _int_field_maybe_null(line, 0)
            gid, line = _int_field_maybe_null(line, 0)
        else:
            uid, line = _int_field(line)
            gid, line = _int_field(line)
    except _Reject:
        return None
    gecos, line = _string_field(line)
    directory, shell = _string_field(line)
    return Passwd(name, uid, gid, gecos, directory, shell)


def _members(line: str) -> tuple[str, ...]:
    """``parse_list``: comma-separated, leading whitespace dropped, empty ones too."""
    members = []
    for part in line.split(","):
        member = part.lstrip(C_SPACE)
        if member:
            members.append(member)
    return tuple(members)


def parse_group(line: str) -> Group | None:
    try:
        name, line = _string_field(line)
        if not line and _compat(name):
            return Group(name, 0, ())
        _, line = _string_field(line)
        if _compat(name):
            gid, line = _int_field_maybe_null(line, 0)
        else:
            gid, line = _int_field(line)
    except _Reject:
        return None
    return Group(name, gid, _members(line))


def parse_shadow(line: str) -> Shadow | None:
    name, line = _string_field(line)
    if not line and _compat(name):
        return Shadow(name, None, 0, 0, 0, -1, -1, -1, None)
    password, line = _string_field(line)
    try:
        last_change, line = _int_field_maybe_null(line, U32_MAX)
        minimum, line = _int_field_maybe_null(line, U32_MAX)
        maximum, line = _int_field_maybe_null(line, U32_MAX)
        line = line.lstrip(C_SPACE)
        if not line:  # the old, five-field form
            warning = inactive = expire = U32_MAX
            flag: int | None = None
        else:
            warning, line = _int_field_maybe_null(line, U32_MAX)
            inactive, line = _int_field_maybe_null(line, U32_MAX)
            expire, line = _int_field_maybe_null(line, U32_MAX)
            flag = None
            if line:
                value, _ = _int_field_maybe_null(line, -1, colon=False)
                flag = None if value == -1 else value
    except _Reject:
        return None
    return Shadow(
        name,
        password,
        _signed(last_change),
        _signed(minimum),
        _signed(maximum),
        _signed(warning),
        _signed(inactive),
        _signed(expire),
        flag,
    )


def passwd_entries(host: Host, buflen: int | None = PASSWD_BUFLEN) -> list[Passwd]:
    """``/etc/passwd`` as a ``buflen``-byte reader enumerates it (None: no limit)."""
    data = read_bytes(host, "/etc/passwd")
    if data is None:
        return []
    return [e for line in readline_lines(data, buflen) if (e := parse_passwd(line))]


def group_entries(host: Host) -> list[Group]:
    """``/etc/group`` as ``getgrent`` enumerates it (its buffer grows: no line limit)."""
    data = read_bytes(host, "/etc/group")
    if data is None:
        return []
    return [e for line in readline_lines(data) if (e := parse_group(line))]


def shadow_entries(host: Host) -> list[Shadow]:
    data = read_bytes(host, "/etc/shadow")
    if data is None:
        return []
    return [e for line in readline_lines(data) if (e := parse_shadow(line))]


def initgroups_entries(host: Host) -> list[Group]:
    """``/etc/group`` as files-initgroups.c reads it: every raw line goes to the
    parser, so commented-out and indented lines count as memberships too."""
    data = read_bytes(host, "/etc/group")
    if data is None:
        return []
    lines = (line.decode("utf-8", errors="replace") for line, _ in _raw_lines(data))
    return [e for line in lines if (e := parse_group(line))]


def getpwuid(entries: list[Passwd], uid: int) -> Passwd | None:
    return next((e for e in entries if e.uid == uid and not _compat(e.name)), None)


def getpwnam(entries: list[Passwd], name: str) -> Passwd | None:
    if _compat(name):
        return None
    return next((e for e in entries if e.name == name), None)


def getgrgid(entries: list[Group], gid: int) -> Group | None:
    return next((e for e in entries if e.gid == gid and not _compat(e.name)), None)


def getspnam(entries: list[Shadow], name: str) -> Shadow | None:
    if _compat(name):
        return None
    return next((e for e in entries if e.name == name), None)


def getgrouplist(groups: list[Group], user: str, gid: int) -> list[int]:
    """The primary ``gid`` then every group listing ``user`` whose gid differs from
    it, in file order, repeats kept (glibc removes only repeats of the primary)."""
    return [gid] + [g.gid for g in groups if g.gid != gid and user in g.members]
