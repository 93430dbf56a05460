"""Results ingest: osquery filesystem-logger lines -> one narrow DuckDB table (``rows``).

DuckDB reads every line once with ``read_json`` and a fixed schema. A line that is not
a JSON object (or not UTF-8) becomes an all-NULL row: it is counted, and the first few
are located by file and line, never fatal and never silently dropped. The three result
formats osquery writes are unnested into one row per result row:

* snapshot  ``{"snapshot": [...], "action": "snapshot", ...}``
* event     ``{"columns": {...}, "action": "added"|"snapshot", ...}`` (removed rows skipped)
* batch     ``{"diffResults": {"added": [...], "removed": [...]}, ...}``

``unixTime`` may be a number or a string; decorations may be nested or top-level
(``--decorations_top_level``); files may be gzip (``logfile``). Only ``trails.*`` queries are kept;
every host-supplied string is cut to a bound. DuckDB works in a scratch database on
disk with a memory limit, so memory stays bounded whatever the input size.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from trails.errors import TrailsError, UsageError
from trails.models.evidence import (
    CONTROL_QUERY_NAME,
    CONTROL_QUERY_PREFIX,
    DECORATION_KEYS,
    INTEGRITY_QUERY,
    MAX_EVIDENCE_BYTES,
    SCHEDULE_STATS_QUERY,
    SIMULATED_DECORATION,
)
from trails.report.engine.duck import DuckEngine
from trails.report.engine.interface import Engine
from trails.report.engine.patterns import CALENDAR_TIME, UNIX_TIME
from trails.report.logfile import (
    BROKEN_GZIP,
    MAX_LINE_BYTES,
    OTHER_COMPRESSION,
    changed_while_read,
    lines,
    misread_files,
    named_gzip,
    open_results,
    readable_copy,
)
from trails.report.model import MAX_MALFORMED_SAMPLES, MAX_TEXT, IngestStats, MalformedLine
from trails.report.paths import local_files

MAX_EVIDENCE_CHARS = 4 * MAX_EVIDENCE_BYTES
MEMORY_LIMIT = "1GB"
# The times a line may carry: 1970 to the end of 9999, the years a report can print.
MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z
# The kinds of line whose rows need a time (an ``other`` query's lines are only counted).
_TIMED = "('control', 'stats', 'integrity')"


_DECORATIONS = (*DECORATION_KEYS, SIMULATED_DECORATION)
# What evaluation reads from a control row and an osquery_schedule row; integrity rows
# are kept whole (as JSON text) and read in Python, one per host.
_ROW_PATHS = [
    "$.status",
    "$.evidence_count",
    "$.evidence",
    "$.name",
    "$.denylisted",
    "$.executions",
    "$.output_size",
]
MAX_ROW_JSON = 16 * 1024
# A \\u escape of half a surrogate pair: yyjson refuses such a line (Python's json takes
# it). An escape starts after an even run of backslashes (``\\udcff`` in JSON text is a
# backslash and "udcff"). Spark's SQL (Java) and the sample reader (Python) share the text.
_ESCAPE_START = r"(?<!\\)(?:\\\\)*"
LONE_SURROGATE = (
    _ESCAPE_START + r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    "|" + _ESCAPE_START + r"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_LONE_SURROGATE = re.compile(LONE_SURROGATE.encode())


def _re2(pattern: str) -> re.Pattern[str]:
    """An RE2 pattern whose ``$`` is the end of the text, for Python (``\\Z``)."""
    return re.compile(re.sub(r"\$$", r"\\Z", pattern))


def _like(suffix: str) -> re.Pattern[str]:
    """SQL's ``LIKE '%suffix'`` (``_`` is any one character)."""
    return re.compile(
        ".*" + "".join("." if c == "_" else re.escape(c) for c in suffix) + r"\Z", re.DOTALL
    )


_TIMED_NAMES = (_re2(CONTROL_QUERY_NAME), _like(SCHEDULE_STATS_QUERY), _like(INTEGRITY_QUERY))
_UNIX_TIME, _CALENDAR_TIME = _re2(UNIX_TIME), _re2(CALENDAR_TIME)
NO_TIME = "no usable time (unixTime or calendarTime, 1970 to 9999)"
# DuckDB's error for a file that holds fewer bytes than when its read began
_SHORT_READ = re.compile(r'Could not read enough bytes from file "(.+)": attempted', re.DOTALL)
# A URL (s3a://, hdfs://, file://): read through Hadoop's file systems (the Spark engine).
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _struct(names: Sequence[str]) -> str:
    return "STRUCT(" + ", ".join(f'"{n}" VARCHAR' for n in dict.fromkeys(names)) + ")"


def _columns(snapshot_as_text: bool) -> str:
    # Result rows stay JSON text: a typed struct per row would make DuckDB hold every
    # column of every row of a whole chunk of lines (a million-row line would not fit).
    row = "JSON"
    cols = {
        "name": "VARCHAR",
        "unixTime": "VARCHAR",
        "calendarTime": "VARCHAR",
        "action": "VARCHAR",
        "hostIdentifier": "VARCHAR",
        "decorations": _struct(_DECORATIONS),
        "snapshot": row if snapshot_as_text else row + "[]",
        "columns": row,
        "diffResults": f"STRUCT(added {row}[])",
        **dict.fromkeys(_DECORATIONS, "VARCHAR"),
    }
    return "{" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in cols.items()) + "}"


def expand_inputs(
    patterns: Sequence[str], url_files: Callable[[str], list[str]] | None = None
) -> tuple[str, ...]:
    """Files named by ``patterns`` (files, globs, or directories read whole), each once,
    in order; URLs are listed by ``url_files`` (the Spark engine's), refused without."""
    files: list[str] = []
    for pattern in patterns:
        if not pattern.strip():  # an unset variable: not "this directory, read whole"
            raise UsageError("--results '': give osquery results logs, a glob or a directory")
        if URL.match(pattern):
            if url_files is None:
                raise UsageError(
                    f"--results {pattern}: the DuckDB engine reads local files; read URLs"
                    " with --engine spark, or copy or mount the files"
                )
            matches = url_files(pattern)
        else:
            try:
                matches = local_files(pattern)
            except OSError as exc:
                raise UsageError(
                    f"--results {pattern}: cannot list {exc.filename or pattern}"
                    f" ({exc.strerror or exc}); check the path and its permissions"
                ) from None
        if not matches:
            raise UsageError(
                f"--results {pattern}: no results file there; give osquery results logs,"
                " a glob, or a directory of them"
            )
        if odd := next((m for m in matches if not _utf8(m)), None):
            raise UsageError(
                f"--results {_shown(pattern)}: the name {_shown(odd)} is not UTF-8, which"
                " the engines need; rename it"
            )
        if other := next((m for m in matches if OTHER_COMPRESSION.search(m)), None):
            raise UsageError(
                f"--results {pattern}: {other} is compressed other than gzip; decompress it"
                " or recompress it with gzip (name ending .gz), or leave it out with a glob"
            )
        files.extend(matches)
    return tuple(dict.fromkeys(files))


def _utf8(name: str) -> bool:
    """Whether ``name`` is UTF-8 (a name of other bytes holds surrogate escapes here)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(name: str) -> str:
    """``name`` as its bytes: one not UTF-8 shows ``\\xff``, not Python's ``\\udcff``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _bounded(expr: str, limit: int = MAX_TEXT) -> str:
    # A string of at most `limit` bytes has at most `limit` characters, so left() would
    # return it whole; strlen (bytes, stored) is much cheaper than left (characters).
    return f"CASE WHEN strlen({expr}) <= {limit} THEN {expr} ELSE left({expr}, {limit}) END"


def _dec(key: str) -> str:
    return _bounded(f'coalesce(decorations."{key}", "{key}")')


def _kind() -> str:
    return (
        f"CASE WHEN regexp_matches(name, {_q(CONTROL_QUERY_NAME)}) THEN 'control'"
        f" WHEN name LIKE {_q('%' + SCHEDULE_STATS_QUERY)} THEN 'stats'"
        f" WHEN name LIKE {_q('%' + INTEGRITY_QUERY)} THEN 'integrity'"
        " WHEN name IS NULL THEN 'malformed' ELSE 'other' END"
    )


# A line's time: the text checked first (engine.patterns), as in every reader.
_UNIX_T = (
    f'CASE WHEN regexp_matches("unixTime", {_q(UNIX_TIME)})'
    ' THEN TRY_CAST(TRY_CAST("unixTime" AS DOUBLE) AS BIGINT) END'
)
_CALENDAR_T = (
    f'CASE WHEN regexp_matches("calendarTime", {_q(CALENDAR_TIME)})'
    " THEN epoch(TRY_STRPTIME(\"calendarTime\", '%a %b %d %H:%M:%S %Y UTC'))::BIGINT END"
)


def usable_time(expr: str) -> str:
    """``expr`` (a line's time) when a report can print it, else NULL."""
    return f"CASE WHEN {expr} BETWEEN 0 AND {MAX_TIME} THEN {expr} END"


def kind_with_time(kind: str, t: str) -> str:
    """A trails line without a usable time is malformed: it cannot be placed in the window,
    and dropping it would hide it (a failing result among them)."""
    return f"CASE WHEN {t} IS NULL AND {kind} IN {_TIMED} THEN 'malformed' ELSE {kind} END"


def _control_id(expr: str, *, matched: bool = False) -> str:
    """The id the pattern's group captures, or NULL. regexp_extract needs RE2's slow
    submatch engine (it was a third of the ingest); when the name matches and holds the
    prefix once, the group is exactly the text after it. ``matched``: known to match."""
    pattern, prefix = _q(CONTROL_QUERY_NAME), _q(CONTROL_QUERY_PREFIX)
    tail = f"substr({expr}, instr({expr}, {prefix}) + {len(CONTROL_QUERY_PREFIX)})"
    unmatched = "" if matched else f" WHEN NOT regexp_matches({expr}, {pattern}) THEN NULL"
    return (
        f"CASE{unmatched} WHEN NOT contains({tail}, {prefix}) THEN {tail}"
        f" ELSE nullif(regexp_extract({expr}, {pattern}, 1), '') END"
    )


def _load_sql(files: Sequence[str], *, snapshot_as_text: bool = False) -> str:
    """``snapshot_as_text``: read each line's snapshot as one JSON text and split it into
    rows only on trails' lines, rather than as a list on every line: the same rows, less
    memory for large snapshots of other queries, 15% longer (0.6 s at 10,000 hosts); the
    second try when the first runs out of memory (``_load``)."""
    # gzip by the name, as Spark reads: DuckDB's own 'auto' would also take .GZ
    groups = {c: [f for f in files if named_gzip(f) == (c == "gzip")] for c in ("gzip", "none")}
    reads = " UNION ALL ".join(
        f"SELECT * FROM read_json([{', '.join(_q(f) for f in group)}],"  # noqa: S608 (by _q)
        f" format='newline_delimited', columns={_columns(snapshot_as_text)},"
        f" ignore_errors=true, filename=true, hive_partitioning=false,"
        f" maximum_object_size={MAX_LINE_BYTES},"
        f" compression='{compression}')"
        for compression, group in groups.items()
        if group
    )
    # an array's rows; NULL for any other value (as Spark reads the field)
    has_rows, snapshot_rows = (
        ("json_type(snapshot) = 'ARRAY'", "json_transform(snapshot, '[\"JSON\"]')")
        if snapshot_as_text
        else ("snapshot IS NOT NULL", "snapshot")
    )
    # One parse per line: read_json with a fixed schema. A line that is not a JSON
    # object becomes an all-NULL row (kind 'malformed'); empty lines are skipped.
    # Each line yields its result rows, or one NULL row, so lines can be counted.
    # Paths are quoted by _q; everything else in the statement is ours.
    return f"""
CREATE TABLE rows AS
WITH l AS (
  SELECT filename AS file, {_kind()} AS name_kind,
    {_UNIX_T} AS unix_t, coalesce({usable_time("unix_t")}, {usable_time(_CALENDAR_T)}) AS t,
    {kind_with_time("name_kind", "t")} AS kind,
    {_bounded('coalesce(decorations."host_uuid", "host_uuid", "hostIdentifier")')} AS host_uuid,
    {_dec("hostname")} AS hostname, {_dec("namespace")} AS namespace,
    {_dec("config_version")} AS config_version, {_dec("org")} AS org, {_dec("owner")} AS owner,
    {_dec("owner_group")} AS owner_group, {_dec("project")} AS project,
    coalesce(decorations."{SIMULATED_DECORATION}", "{SIMULATED_DECORATION}") IS NOT NULL
      AS simulated,
    name,
    CASE WHEN kind IN ('other', 'malformed') THEN NULL
         WHEN {has_rows} THEN {snapshot_rows}
         WHEN "columns" IS NOT NULL AND action IN ('added', 'snapshot') THEN ["columns"]
         ELSE "diffResults".added END AS results
  FROM ({reads})
), u AS (
  SELECT * EXCLUDE (results),
    unnest(CASE WHEN len(results) > 0
                THEN list_transform(results, lambda x, i: {{'r': x, 'i': i}})
                ELSE [{{'r': NULL, 'i': 1}}] END) AS e
  FROM l
), v AS (
  SELECT *, json_extract_string(e.r, {_ROW_PATHS!r}) AS c FROM u
)
SELECT CASE WHEN kind = 'malformed' THEN file END AS file,
  CASE WHEN e.r IS NULL AND kind NOT IN ('other', 'malformed') THEN 'empty' ELSE kind END AS kind,
  t, host_uuid, simulated, e.i = 1 AS first_of_line,
  -- decorations are the same for every row of a line: keep them once per line
  CASE WHEN e.i = 1 THEN hostname END AS hostname,
  CASE WHEN e.i = 1 THEN namespace END AS namespace,
  CASE WHEN e.i = 1 THEN config_version END AS config_version,
  CASE WHEN e.i = 1 THEN org END AS org,
  CASE WHEN e.i = 1 THEN owner END AS owner,
  CASE WHEN e.i = 1 THEN owner_group END AS owner_group,
  CASE WHEN e.i = 1 THEN project END AS project,
  CASE kind WHEN 'control' THEN {_control_id("name", matched=True)}
            WHEN 'stats' THEN {_control_id("c[4]")} END AS control_id,
  {_bounded("c[1]", 32)} AS status,
  TRY_CAST(c[2] AS BIGINT) AS evidence_count,
  CASE WHEN kind = 'control' AND c[1] IS DISTINCT FROM 'pass'
       THEN {_bounded("c[3]", MAX_EVIDENCE_CHARS)} END AS evidence,
  c[5] = '1' AS denylisted,
  TRY_CAST(c[6] AS BIGINT) AS executions,
  TRY_CAST(c[7] AS BIGINT) AS output_size,
  CASE WHEN kind = 'integrity' THEN {_bounded("e.r::VARCHAR", MAX_ROW_JSON)} END AS integrity
FROM v
-- Of osquery's schedule statistics only the rows that make an error are kept (a control
-- denylisted, or run without ever returning a row), plus each line's first row.
WHERE kind <> 'stats' OR e.i = 1 OR (regexp_matches(c[4], {_q(CONTROL_QUERY_NAME)})
  AND (c[5] = '1' OR (TRY_CAST(c[6] AS BIGINT) > 0 AND TRY_CAST(c[7] AS BIGINT) = 0)))
"""  # noqa: S608


@dataclass(frozen=True)
class Ingested:
    """The loaded ``rows`` table inside ``engine``, and what reading cost."""

    engine: Engine
    stats: IngestStats
    simulated: bool


def unreadable(path: str, exc: OSError) -> TrailsError:
    """A results file listed, then not to be opened (every engine says it so): gone, it
    changed while the report ran (a rotation: run again); else, as not readable by this
    user, a usage error."""
    if isinstance(exc, FileNotFoundError):
        return changed_while_read(path)
    return UsageError(f"cannot read results: {path}: {exc.strerror or exc}; check the file")


def open_raw(path: str) -> io.BufferedReader:
    try:
        return open(path, "rb")  # the reader closes it
    except OSError as exc:
        raise unreadable(path, exc) from None


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise unreadable(path, exc) from None


def _line_problem(raw: bytes) -> str | None:
    if len(raw) > MAX_LINE_BYTES:
        return f"line longer than {MAX_LINE_BYTES} bytes"
    try:
        text = raw.decode("utf-8")
        # numbers as their text: no limit on digits (int() refuses more than 4,300; the
        # engines don't), and a time is checked as text, as the engines check it
        doc = json.loads(text, parse_int=str, parse_float=str)
    except UnicodeDecodeError:
        return "not UTF-8"
    except ValueError:
        return "not JSON"
    except RecursionError:
        return _deep_line_problem(text)
    if b"\\u" in raw and _LONE_SURROGATE.search(raw):
        return "not JSON (a lone surrogate escape)"
    if not isinstance(doc, dict) or doc.get("name") is None:
        return "not an osquery result line"
    if _timed(doc["name"]) and _line_time(doc.get("unixTime"), doc.get("calendarTime")) is None:
        return NO_TIME
    return None


def _timed(name: object) -> bool:
    """``_kind``'s control, stats or integrity (a name that is not a string is text to
    the engines: never one of theirs)."""
    return isinstance(name, str) and any(p.match(name) for p in _TIMED_NAMES)


def _line_time(unix: object, calendar: object) -> int | None:
    """The time the engines give a line (``_load_sql``): ``unixTime`` (a number's text or
    a string; halves to even), else ``calendarTime``; each only from 1970 to 9999."""
    if isinstance(unix, str) and _UNIX_TIME.match(unix):
        with suppress(OverflowError):  # more digits than a double holds: not a time
            if 0 <= (t := round(float(unix))) <= MAX_TIME:
                return t
    if isinstance(calendar, str) and _CALENDAR_TIME.match(calendar):
        try:
            when = datetime.strptime(calendar, "%a %b %d %H:%M:%S %Y UTC")
        except ValueError:  # Feb 30, a leap second
            return None
        t = int(when.replace(tzinfo=UTC).timestamp())
        return t if 0 <= t <= MAX_TIME else None
    return None


def _deep_line_problem(text: str) -> str | None:
    """A line nested deeper than Python's json follows (yyjson and Jackson have no such
    limit), judged by DuckDB's parser, as the ingest read it."""
    sql = (
        "SELECT json_valid($l), CASE WHEN json_valid($l) AND json_type($l) = 'OBJECT' THEN"
        " [json_extract_string($l, '$.name'), json_extract_string($l, '$.unixTime'),"
        " json_extract_string($l, '$.calendarTime')] END"
    )
    valid, fields = duckdb.execute(sql, {"l": text}).fetchone() or (False, None)
    if not valid:
        return "not JSON"
    if fields is None or fields[0] is None:
        return "not an osquery result line"
    name, unix, calendar = fields
    return NO_TIME if _timed(name) and _line_time(unix, calendar) is None else None


def _malformed_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    sql = "SELECT DISTINCT file FROM rows WHERE kind = 'malformed' ORDER BY 1"
    return [str(f) for (f,) in con.execute(sql).fetchall()]


def malformed_samples(
    files: Sequence[str], open_raw: Callable[[str], io.BufferedReader] = open_raw
) -> tuple[MalformedLine, ...]:
    """File and line of the first malformed lines of ``files`` (those the engine found
    malformed lines in), read raw through ``open_raw``.

    The engine counted them; this second read (stopping at the first few) finds where
    they are: DuckDB's reject line numbers drift, and Spark's text source has none.
    """
    samples: list[MalformedLine] = []
    for path in files:
        with open_results(open_raw(path)) as stream:
            for number, raw in enumerate(lines(stream), start=1):
                problem = (
                    BROKEN_GZIP if raw is None else _line_problem(raw) if raw.strip() else None
                )
                if problem is not None:
                    samples.append(MalformedLine(path, number, problem))
                    if len(samples) == MAX_MALFORMED_SAMPLES:
                        return tuple(samples)
    return tuple(samples)


def _none_cut(files: Sequence[str], sizes: Mapping[str, int]) -> None:
    """Each of ``files`` at least ``sizes`` long, as when it was listed: one gone or cut
    since (a rotation) lost lines, so the report is to run again."""
    for name in files:
        if _size(name) < sizes[name]:
            raise changed_while_read(name)


def _load(
    con: duckdb.DuckDBPyConnection, files: Sequence[str], scratch: Path, memory_limit: str
) -> None:
    """``_load_sql`` over ``files``. A file DuckDB would misread (``logfile.misread``:
    gzip or not other than its name says, a gzip stream that breaks, a line over
    ``MAX_LINE_BYTES``, of which DuckDB stops at some and takes others as results) is
    read through its ``readable_copy``, so what is wrong in it is counted as malformed
    (and located in the original) and the report goes on. Every file is checked whole
    before the read, so DuckDB never meets a line over its object limit.

    DuckDB reads a block of lines at a time, so many lines of megabytes each need more
    than the memory limit. They are read again on one thread with snapshots as text,
    which needs far less (lines of 0.78 MB under the 1GB default: 1,000 in a row, or one
    line in 11, where the first try read 120 in a row and one line in 101); when that
    runs out too, a usage error names the remedy.

    A file whose size is 0 is read as the empty file it says it is, as Spark reads it:
    a pseudo-file (``/proc/kmsg``, linked into a log directory) says 0 and blocks a read."""
    empty = scratch / "empty.log"
    empty.touch()
    sizes = {name: _size(name) for name in files}
    copies = {name: str(empty) for name in files if sizes[name] == 0}
    copies |= {
        name: str(readable_copy(name, open_raw(name), scratch / f"{n}.log"))
        for n, name in enumerate(misread_files([f for f in files if f not in copies], open_raw))
    }
    for snapshot_as_text in (False, True):
        if snapshot_as_text:
            con.execute("SET threads = 1")  # one block of lines at a time, not one a thread
        try:
            con.execute(
                _load_sql([copies.get(f, f) for f in files], snapshot_as_text=snapshot_as_text)
            )
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            if short := _SHORT_READ.search(str(exc)):  # each was read whole before: cut since
                raise changed_while_read(short[1]) from None
            _none_cut(files, sizes)
            problem = str(exc).splitlines()[0]
            raise UsageError(f"cannot read results: {problem}; check the files") from None
        except duckdb.OutOfMemoryException:
            continue
        _none_cut(files, sizes)  # a copy, or DuckDB's read, may have missed lines since
        if snapshot_as_text:
            con.execute("RESET threads")  # the rest of the report uses every core
        for original, copied in copies.items():
            con.execute("UPDATE rows SET file = $o WHERE file = $c", {"o": original, "c": copied})
        return
    raise UsageError(
        f"cannot read results: their lines are too large to read within"
        f" --memory-limit {memory_limit}; raise it (for example to 4GB)"
    )


def ingest(patterns: Sequence[str], workdir: Path, memory_limit: str = MEMORY_LIMIT) -> Ingested:
    """Load the results named by ``patterns`` into a DuckDB database under ``workdir``."""
    files = expand_inputs(patterns)
    scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=workdir))
    con = duckdb.connect(str(scratch / "results.duckdb"))  # on disk: spills, stays bounded
    con.execute(f"SET memory_limit = {_q(memory_limit)}")
    con.execute(f"SET temp_directory = {_q(str(scratch / 'spill'))}")
    con.execute("SET preserve_insertion_order = false")
    _load(con, files, scratch, memory_limit)
    lines, malformed, simulated, rows = con.execute(
        "SELECT count(*) FILTER (first_of_line), count(*) FILTER (kind = 'malformed'),"
        " count(*) FILTER (first_of_line AND simulated),"
        " count(*) FILTER (kind IN ('control', 'stats', 'integrity')) FROM rows"
    ).fetchone() or (0, 0, 0, 0)
    stats = IngestStats(
        files=files,
        lines=int(lines),
        result_rows=int(rows),
        malformed=int(malformed),
        malformed_samples=malformed_samples(_malformed_files(con)) if malformed else (),
        simulated_lines=int(simulated),
    )
    return Ingested(engine=DuckEngine(con), stats=stats, simulated=simulated > 0)
