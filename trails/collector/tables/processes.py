"""``processes``: osquery/tables/system/linux/processes.cpp (``genProcesses``).

One row per numeric directory of ``/proc`` (or per ``pid =`` value that is one), at
most ``MAX_PROCESSES``. A process whose ``status`` cannot be read, or whose ``stat``
or ``VmRSS``/``VmSize`` does not parse, has no row. ``name`` and the ids come from
``status``; ``state``, ``parent``, ``pgroup``, times, ``nice``, ``threads`` from
``stat``; ``path``, ``cwd``, ``root`` are the ``exe``/``cwd``/``root`` links (``""``
when unreadable); ``cmdline`` is ``cmdline`` with NULs as spaces, trimmed. ``on_disk``
looks the binary up in the host's files (1, 0, or -1 without a path; a `` (deleted)``
suffix is dropped from ``path``). Values reach SQLite cast as osquery casts them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._runtime import (
    WHITESPACE,
    read_text,
    split,
    split_once,
    sql_int,
    to_int,
)

MAX_PROCESSES = 65_536
_CLK_TCK = os.sysconf("SC_CLK_TCK")
# osquery's kMSIn1CLKTCK: an integer division, as in C++
_MS_PER_TICK = 1000 // _CLK_TCK
_U64 = 1 << 64
_DELETED = " (deleted)"
_TEXT = frozenset({"name", "path", "cmdline", "state", "cwd", "root", "cgroup_path"})
_INTEGER = frozenset({"on_disk", "threads", "nice"})
_PID = re.compile(r"[0-9]+")
_FROM_STAT_AND_STATUS = (
    *("state", "parent", "pgroup", "nice", "threads", "resident_size", "total_size"),
    *("uid", "euid", "suid", "gid", "egid", "sgid"),
)


def boot_time(proc: Path) -> int:
    """osquery's ``getBootTime``: the ``btime`` of ``/proc/stat``, 0 when unknown."""
    content = read_text(proc / "stat") or ""
    start = content.find("btime")
    if start == -1:
        return 0
    end = content.find("\n", start + 6)
    if end == -1:
        return 0
    return to_int(content[start + 6 : end]) or 0


def _strtoull(text: str) -> int:
    """``std::strtoull``: 0 without digits, the maximum on overflow."""
    if not text:
        return 0
    value = to_int(text)
    if value is None:
        return _U64 - 1 if re.match(rf"[{WHITESPACE}]*[+-]?[0-9]", text) else 0
    return value


def parse_stat(stat: str | None, status: str) -> dict[str, str] | None:
    """osquery's ``SimpleProcStat`` from ``stat`` (None: unreadable) and ``status``."""
    fields: dict[str, str] = {}
    if stat is not None:
        start = stat.rfind(")")
        if start == -1 or len(stat) <= start + 2:
            return None
        details = split(stat[start + 2 :], " ")
        if len(details) <= 19:
            return None
        for name, index in (
            ("state", 0),
            ("parent", 1),
            ("pgroup", 2),
            ("user_time", 11),
            ("system_time", 12),
            ("nice", 16),
            ("threads", 17),
            ("start_time", 19),
        ):
            fields[name] = details[index]
    for line in split(status, "\n"):
        detail = split_once(line, ":")
        if len(detail) != 2:
            continue
        key, value = detail
        if key == "Name":
            fields["name"] = value
        elif key in ("VmRSS", "VmSize"):
            # osquery cuts " kB" blindly and drops the process when the rest is no number
            kilobytes = to_int(value[:-3])
            if kilobytes is None:
                return None
            column = "resident_size" if key == "VmRSS" else "total_size"
            fields[column] = str(kilobytes * 1024 % _U64)
        elif key in ("Uid", "Gid"):
            ids = split(value, "\t")
            if len(ids) == 4:
                kind = key[0].lower()
                fields[f"{kind}id"], fields[f"e{kind}id"], fields[f"s{kind}id"] = ids[:3]
    return fields


def parse_cgroup(content: str) -> str:
    """osquery's ``parseProcCGroup``: the path of the first ``id:controllers:path`` line."""
    end = content.find("\n")
    end = len(content) if end == -1 else end
    first = content.find(":")
    if first == -1:
        return ""
    second = content.find(":", first + 1)
    return content[second + 1 : end] if -1 < second < end else ""


def parse_io(content: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in split(content, "\n"):
        detail = split_once(line, ":")
        if len(detail) == 2 and detail[0] in ("read_bytes", "write_bytes", "cancelled_write_bytes"):
            fields[detail[0]] = detail[1]
    return fields


def _link(path: Path) -> str:
    try:
        return os.readlink(os.fsencode(path)).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""


def _on_disk(host: Host, path: str) -> tuple[int, str]:
    """osquery's ``getOnDisk``: (1 exists, 0 missing, -1 no path) and the path to show."""
    if not path:
        return -1, path
    if not path.endswith(_DELETED):
        return (1 if host.path(path).exists() else 0), path
    if not host.path(path).exists():
        return 0, path[: -len(_DELETED)]
    # A file whose name really ends in " (deleted)": osquery compares inodes with a
    # std::regex (\h, \Q..\E) that ECMAScript does not define; not reproduced, unknown.
    return -1, path


def _process(host: Host, proc: Path, pid: str, boot: int) -> Row | None:
    base = proc / pid
    status = read_text(base / "status")
    if status is None:
        return None
    fields = parse_stat(read_text(base / "stat"), status)
    if fields is None:
        return None
    cmdline = (read_text(base / "cmdline") or "").replace("\0", " ").strip(WHITESPACE)
    on_disk, path = _on_disk(host, _link(base / "exe"))
    start_ticks = to_int(fields.get("start_time", ""), unsigned=False)
    if start_ticks is not None and boot > 0:
        # C++ division truncates toward zero; the sum is unsigned
        seconds = abs(start_ticks) // _CLK_TCK * (1 if start_ticks >= 0 else -1)
        start_time = str((boot + seconds) % _U64)
    else:
        start_time = "-1"
    row: dict[str, str] = {
        "pid": pid,
        "name": fields.get("name", ""),
        "path": path,
        "cmdline": cmdline,
        "cgroup_path": parse_cgroup(read_text(base / "cgroup") or ""),
        "cwd": _link(base / "cwd"),
        "root": _link(base / "root"),
        "on_disk": str(on_disk),
        "wired_size": "0",
        "user_time": str(_strtoull(fields.get("user_time", "")) * _MS_PER_TICK % _U64),
        "system_time": str(_strtoull(fields.get("system_time", "")) * _MS_PER_TICK % _U64),
        "start_time": start_time,
    }
    for column in _FROM_STAT_AND_STATUS:
        row[column] = fields.get(column, "")
    io = read_text(base / "io")
    if io is not None:
        counters = parse_io(io)
        row["disk_bytes_read"] = counters.get("read_bytes", "")
        written = to_int(counters.get("write_bytes", ""), unsigned=False) or 0
        cancelled = to_int(counters.get("cancelled_write_bytes", ""), unsigned=False) or 0
        row["disk_bytes_written"] = str(written - cancelled)
    return {
        column: value
        if column in _TEXT
        else (sql_int(value, integer=column in _INTEGER) if value else None)
        for column, value in row.items()
    }


def _pids(proc: Path, query: Query) -> list[str]:
    wanted = query.texts("pid")
    if wanted:
        return sorted({p for p in wanted if _PID.fullmatch(p) and (proc / p).is_dir()})
    pids: list[str] = []
    try:
        with os.scandir(proc) as entries:
            for entry in entries:
                # osquery keeps directories whose name atoll() reads as positive
                if (to_int(entry.name, unsigned=False) or 0) > 0 and entry.is_dir():
                    pids.append(entry.name)
                    if len(pids) >= MAX_PROCESSES:
                        break
    except OSError:
        return []
    return sorted(pids)


def generate(host: Host, query: Query) -> Iterator[Row]:
    if host.runtime is None:
        return
    proc = host.runtime.proc
    boot = boot_time(proc)
    for pid in _pids(proc, query):
        row = _process(host, proc, pid, boot)
        if row is not None:
            yield row


TABLE = Table("processes", generate, runtime=True, constrained=("pid",))
