from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from testkit.report_synth import HOSTILE_STRINGS
from tests.report.osquery_lines import (
    T0,
    TIME_TEXTS,
    control,
    decorations,
    integrity,
    line,
    stats,
)
from tests.report.pseudo_files import BLOCKING, SHORT
from trails.errors import TransportError, UsageError
from trails.models.evidence import CONTROL_QUERY_NAME
from trails.report import ingest as ingest_module
from trails.report.engine.duck import DuckEngine
from trails.report.ingest import (
    NO_TIME,
    Ingested,
    _load_sql,
    expand_inputs,
    ingest,
    malformed_samples,
)
from trails.report.logfile import BROKEN_GZIP, MAX_LINE_BYTES, misread_files
from trails.report.model import MAX_MALFORMED_SAMPLES


def _ingest(tmp_path: Path, *texts: str, gz: bool = False) -> Ingested:
    path = tmp_path / ("r.log.gz" if gz else "r.log")
    data = ("\n".join(texts) + "\n").encode("utf-8", "surrogateescape")
    path.write_bytes(gzip.compress(data) if gz else data)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return ingest([str(path)], work)


def _con(ing: Ingested) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection holding ``rows`` (``ingest`` always loads into DuckDB)."""
    assert isinstance(ing.engine, DuckEngine)
    return ing.engine.con


def _controls(ing: Ingested) -> list[tuple[object, ...]]:
    return (
        _con(ing)
        .execute(
            "SELECT host_uuid, control_id, status, t, namespace, evidence FROM rows"
            " WHERE kind = 'control' ORDER BY 1, 2, 4"
        )
        .fetchall()
    )


@pytest.mark.parametrize("fmt", ["snapshot", "batch", "snapshot-event", "added"])
@pytest.mark.parametrize("top_level", [False, True])
@pytest.mark.parametrize("string_time", [False, True])
def test_every_osquery_format(tmp_path: Path, fmt: str, top_level: bool, string_time: bool) -> None:
    dec = decorations("h1")
    kind = "snapshot" if fmt == "snapshot-event" else fmt
    text = control(
        "c1", "fail", T0, dec, [{"path": "/etc/x"}], top_level=top_level, string_time=string_time
    )
    if fmt != "snapshot":
        row = json.loads(text)["snapshot"][0]
        text = line(
            "trails.control.c1", [row], T0, dec, kind, top_level=top_level, string_time=string_time
        )
    ing = _ingest(tmp_path, text)
    assert _controls(ing) == [("h1", "c1", "fail", T0, "linux/pci", '[{"path": "/etc/x"}]')]
    assert ing.stats.lines == 1
    assert ing.stats.malformed == 0


def test_removed_event_rows_are_not_evidence(tmp_path: Path) -> None:
    row = {"control_id": "c1", "status": "pass", "evidence": "[]", "evidence_count": "0"}
    ing = _ingest(tmp_path, line("trails.control.c1", [row], T0, decorations("h1"), "removed"))
    assert _controls(ing) == []
    assert ing.stats.lines == 1


def test_gzip_and_globs(tmp_path: Path) -> None:
    dec = decorations("h1")
    (tmp_path / "a.log").write_text(control("c1", "pass", T0, dec) + "\n")
    (tmp_path / "b.log.gz").write_bytes(
        gzip.compress((control("c2", "fail", T0, dec) + "\n").encode())
    )
    ing = ingest([str(tmp_path / "*.log*")], tmp_path)
    assert [r[1:3] for r in _controls(ing)] == [("c1", "pass"), ("c2", "fail")]
    assert len(ing.stats.files) == 2


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def test_a_file_whose_content_is_not_its_name_or_whose_gzip_breaks_is_read_for_what_it_holds(
    tmp_path: Path,
) -> None:
    """Regressions: a truncated .gz stopped the report, a bad CRC was read without a word
    (DuckDB checks none), gzip under .log was read as garbage and plain text under .gz
    stopped the report; Spark failed on each (tests/report/spark: the same answer)."""
    logs = tmp_path / "logs"
    logs.mkdir()

    def host(n: int) -> bytes:
        dec = decorations(f"h{n}")
        rows = [control(f"c{i}", "pass", T0 + i, dec) for i in range(40)]
        return "".join(r + "\n" for r in rows).encode()

    whole = gzip.compress(host(1), mtime=0)
    (logs / "good.log.gz").write_bytes(whole)
    cut = gzip.compress(host(2), mtime=0)
    (logs / "cut.log.gz").write_bytes(cut[: len(cut) // 2])
    (logs / "crc.log.gz").write_bytes(_flip(gzip.compress(host(3), mtime=0), -8))
    (logs / "gzip.log").write_bytes(gzip.compress(host(4), mtime=0))
    (logs / "plain.log.gz").write_bytes(host(5))
    ing = ingest([str(logs)], tmp_path)
    per_host = Counter(str(r[0]) for r in _controls(ing))
    assert per_host["h1"] == per_host["h3"] == per_host["h4"] == per_host["h5"] == 40
    assert 0 < per_host["h2"] < 40  # the lines before the cut
    assert ing.stats.malformed == 2
    assert [(Path(s.file).name, s.reason) for s in ing.stats.malformed_samples] == [
        ("crc.log.gz", BROKEN_GZIP),
        ("cut.log.gz", BROKEN_GZIP),
    ]
    assert ing.stats.malformed_samples[0].line == 41  # after its 40 lines
    _con(ing).close()


@pytest.mark.parametrize("name", ["r.log.zst", "r.log.bz2", "r.log.XZ"])
def test_a_file_compressed_other_than_gzip_is_refused(tmp_path: Path, name: str) -> None:
    """DuckDB would decode .zst, Hadoop .bz2, the sample reader neither."""
    (tmp_path / "a.log").write_text(control("c1", "pass", T0, decorations("h1")) + "\n")
    (tmp_path / name).write_bytes(b"\x28\xb5\x2f\xfd")
    with pytest.raises(UsageError, match=rf"{name} is compressed other than gzip; decompress"):
        expand_inputs([str(tmp_path)])


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no results file"):
        expand_inputs([str(tmp_path / "nope-*.log")])
    with pytest.raises(UsageError, match="no results file"):
        expand_inputs([str(tmp_path / "nope.log")])
    (tmp_path / "empty" / "_temporary").mkdir(parents=True)
    (tmp_path / "empty" / "_SUCCESS").write_text("")
    with pytest.raises(UsageError, match="no results file"):
        expand_inputs([str(tmp_path / "empty")])


@pytest.mark.timeout(120)
def test_a_file_of_size_zero_is_not_read(tmp_path: Path) -> None:
    """Regression: a link to /proc/kmsg in a log directory blocked the DuckDB report for
    ever (Spark reads nothing of a file whose size is 0); empty logs still count as files."""
    assert BLOCKING.stat().st_size == 0, f"{BLOCKING} is missing: pick another blocking file"
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text(control("a", "pass", T0, decorations("h1")) + "\n")
    (logs / "empty.log").write_bytes(b"")
    (logs / "kmsg.log").symlink_to(BLOCKING)
    work = tmp_path / "work"
    work.mkdir()
    ing = ingest([str(logs)], work)
    assert len(ing.stats.files) == 3
    assert (ing.stats.lines, ing.stats.malformed) == (1, 0)
    assert [c[:3] for c in _controls(ing)] == [("h1", "a", "pass")]


def test_a_file_cut_while_duckdb_reads_it_says_to_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB stops at a file that holds fewer bytes than when its read began. Each file
    is read whole before (and one that holds less than its size says is copied), so such
    a file was cut since: a rotation, exit 4 and run again, not exit 2 and check the files.
    A file found whole but short stands in for one cut between the check and the read."""
    assert 0 < len(SHORT.read_bytes()) < SHORT.stat().st_size, f"pick another file than {SHORT}"
    (tmp_path / "cut.log").symlink_to(SHORT)
    monkeypatch.setattr(ingest_module, "misread_files", lambda names, open_raw: [])
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(TransportError, match=r"cut\.log changed while it was read"):
        ingest([str(tmp_path / "cut.log")], work)


@pytest.mark.parametrize("after", ["the listing", "the check"])
def test_a_file_gone_after_the_listing_or_the_check_says_to_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: str
) -> None:
    """Regression (review): gone after the listing was exit 2 ("check the file"), and gone
    between the check and DuckDB's own read was DuckDB's "no files found" (exit 2)."""
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(control("a", "pass", T0, decorations("h1")) + "\n")
    step = "expand_inputs" if after == "the listing" else "misread_files"
    done = getattr(ingest_module, step)

    def then_rotated(*args: Any) -> Any:
        result = done(*args)
        (tmp_path / "b.log").unlink()
        return result

    monkeypatch.setattr(ingest_module, step, then_rotated)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(TransportError, match=r"b\.log changed while it was read \(rotated\?\)"):
        ingest([str(tmp_path / "*.log")], work)


@pytest.mark.parametrize("name", ["b.log.gz", "b.log"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_file_cut_before_or_after_the_check_says_to_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, name: str
) -> None:
    """Regression (left by the last session, and review): a .gz cut between the check and
    DuckDB's read was DuckDB's gzip error, "check the files" (exit 2); cut before the check,
    it was read through a copy of what was left, its lost lines one malformed line (exit 0);
    a plain file cut then was read short without a word. Cut, it says to run again."""
    line = control("a", "pass", T0, decorations("h1")) + "\n"
    (tmp_path / "a.log").write_text(line)
    data = line.encode() * 20_000
    (tmp_path / name).write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)

    def cut() -> None:
        with (tmp_path / name).open("r+b") as f:
            f.truncate(f.seek(0, 2) // 2)

    def then_cut(*args: Any) -> Any:
        if when == "before":
            cut()
        result = misread_files(*args)
        if when == "after":
            cut()
        return result

    monkeypatch.setattr(ingest_module, "misread_files", then_cut)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(TransportError, match=rf"{re.escape(name)} changed while it was read"):
        ingest([str(tmp_path / "*.log*")], work)


@pytest.mark.parametrize("pattern", ["", " "])
def test_an_empty_results_path_is_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    """An unset variable (--results "$LOGS") read every file under the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.log").write_text("not results\n")
    with pytest.raises(UsageError, match=r"--results '': give osquery results logs"):
        expand_inputs([pattern])


def test_a_path_that_cannot_be_listed_is_a_usage_error(tmp_path: Path) -> None:
    """The file system's refusal (here a name too long; as a user, a directory it may not
    read) is one line, not an internal error."""
    with pytest.raises(UsageError, match=r"cannot list .*File name too long"):
        expand_inputs([str(tmp_path / ("x" * 5000))])


def test_lines_too_large_for_the_memory_limit_are_a_usage_error(tmp_path: Path) -> None:
    """Many lines of a megabyte each need more than a small memory limit: a one-line
    error naming the remedy, not DuckDB's out-of-memory traceback."""
    big = [
        control(f"c{n}", "fail", T0, decorations(f"h{n}"), [{"x": "y" * 1_000_000}])
        for n in range(20)
    ]
    path = tmp_path / "big.log"
    path.write_text("\n".join(big) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"--memory-limit 32MB; raise it"):
        ingest([str(path)], tmp_path, memory_limit="32MB")
    assert ingest([str(path)], tmp_path).stats.lines == 20  # within the default 1GB


def test_a_line_not_far_over_the_limit_is_malformed(tmp_path: Path) -> None:
    """Regressions: DuckDB reads a line of 65 to 127 MiB instead of stopping at its object
    limit. A valid one was taken as a result (Spark calls it malformed); one with large
    evidence ran out of memory, and the report asked for more."""
    dec = decorations("h1")
    evidence = control("c2", "fail", T0, dec, [{"x": "y" * (MAX_LINE_BYTES + (6 << 20))}])
    padded = control("c3", "pass", T0, dec)[:-1] + ', "pad": "' + "x" * (90 << 20) + '"}'
    path = tmp_path / "huge.log"
    path.write_text("\n".join([control("c1", "pass", T0, dec), evidence, padded, ""]))
    ing = ingest([str(path)], tmp_path)
    assert ing.stats.malformed == 2
    assert [(s.line, s.reason) for s in ing.stats.malformed_samples] == [
        (2, f"line longer than {MAX_LINE_BYTES} bytes"),
        (3, f"line longer than {MAX_LINE_BYTES} bytes"),
    ]
    assert [r[1:3] for r in _controls(ing)] == [("c1", "pass")]
    _con(ing).close()


def test_a_gzip_file_padded_with_zeros_is_read(tmp_path: Path) -> None:
    """Regression: DuckDB (and Hadoop) refused the whole report on zero padding after the
    gzip stream, which gzip -d and Python skip."""
    path = tmp_path / "padded.log.gz"
    lines = [control(f"c{n}", "pass", T0, decorations("h1")) for n in range(3)]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()) + bytes(1024))
    ing = ingest([str(path)], tmp_path)
    assert (ing.stats.lines, ing.stats.malformed) == (3, 0)
    _con(ing).close()


def _rows_read(path: Path, *, snapshot_as_text: bool) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    try:
        con.execute(_load_sql([str(path)], snapshot_as_text=snapshot_as_text))
        return con.execute("SELECT * FROM rows ORDER BY ALL").fetchall()
    finally:
        con.close()


_SNAPSHOT_VALUES = (
    '{"status": "pass"}',
    '"pass"',
    "5",
    "null",
    '[1, "x", [2], {"status": "fail"}]',
    "[]",
    '[{"status": "fail", "evidence": "[{\\"a\\": 1}]"}, {"status": "pass"}]',
)


def test_snapshots_read_as_text_give_the_same_rows(tmp_path: Path) -> None:
    """The second try after running out of memory (``snapshot_as_text``) reads the same
    rows as the first: every result format, non-array snapshots, hostile text, malformed
    lines."""
    dec = decorations("h1")
    texts = [
        control("c1", "fail", T0, dec, [{"path": "/etc/shadow", "mode": "0644"}]),
        control("c2", "pass", T0, dec, fmt="event"),
        control("c3", "not_applicable", T0, dec, fmt="batch"),
        stats({"c1": (0, 4, 0), "c4": (1, 0)}, T0, dec),
        integrity(T0, dec, last_result="signature", last_error=HOSTILE_STRINGS[1]),
        line("pack_inventory_rpm_packages", [{"name": "bash"}] * 3, T0, dec),
        *(
            control(f"h{n}", text[:40], T0, decorations(text[:60]), [{"value": text}])
            for n, text in enumerate(HOSTILE_STRINGS)
        ),
        *(
            f'{{"name": "trails.control.s{n}", "unixTime": {T0}, "snapshot": {value},'
            ' "decorations": {"host_uuid": "h2"}}'
            for n, value in enumerate(_SNAPSHOT_VALUES)
        ),
        "not json",
        '{"name": "trails.control.cut", "snapshot": [',
        "[1, 2]",
    ]
    path = tmp_path / "r.log"
    path.write_bytes(("\n".join(texts) + "\n").encode("utf-8", "surrogateescape"))
    as_list = _rows_read(path, snapshot_as_text=False)
    assert len(as_list) > len(texts)  # the snapshot of three rows, the statistics
    assert _rows_read(path, snapshot_as_text=True) == as_list


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["status", "evidence", "x"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(snapshot=_JSON)
def test_any_snapshot_value_reads_the_same_as_text(tmp_path: Path, snapshot: object) -> None:
    doc = {
        "name": "trails.control.c1",
        "unixTime": T0,
        "snapshot": snapshot,
        "decorations": {"host_uuid": "h1"},
    }
    path = tmp_path / "r.log"
    path.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    assert _rows_read(path, snapshot_as_text=True) == _rows_read(path, snapshot_as_text=False)


@pytest.mark.slow
def test_a_run_of_large_snapshots_of_another_query_fits_the_default_limit(
    tmp_path: Path,
) -> None:
    """Regression: a package inventory of 10,000 rows (0.78 MB a line) from another query,
    250 lines in a row, needed more than the default 1GB with every snapshot read as a
    list (160 already did); the second try, on one thread with snapshots as text, reads
    them."""
    packages = [
        {"name": f"pkg{n}", "version": "1.2.3-4.el9", "arch": "x86_64", "size": str(n)}
        for n in range(10_000)
    ]
    dec = decorations("h1")
    inventory = line("pack_inventory_rpm_packages", packages, T0, dec)
    path = tmp_path / "big.log"
    with path.open("w", encoding="utf-8") as out:
        out.write(control("c1", "fail", T0, dec, [{"path": "/etc/shadow"}]) + "\n")
        for _ in range(250):
            out.write(inventory + "\n")
    ing = ingest([str(path)], tmp_path)
    assert ing.stats.lines == 251
    assert ing.stats.malformed == 0
    assert [r[1:3] for r in _controls(ing)] == [("c1", "fail")]
    # the rest of the report runs on every core again
    threads = "SELECT current_setting('threads')"
    assert _con(ing).execute(threads).fetchall() == duckdb.connect().execute(threads).fetchall()


def test_a_directory_partitioned_by_day_is_read_whole(tmp_path: Path) -> None:
    """What a data platform's sink leaves: dt= directories, gzip parts, and markers and
    checksums (``_SUCCESS``, ``.crc``, ``_temporary/``) that are not results."""
    dec = decorations("h1")
    root = tmp_path / "osquery"
    for day, cid in (("dt=2026-11-23", "c2"), ("dt=2026-11-22", "c1")):
        (root / day).mkdir(parents=True)
        (root / day / "part-0.json.gz").write_bytes(
            gzip.compress((control(cid, "pass", T0, dec) + "\n").encode())
        )
        (root / day / "_SUCCESS").write_text("")
        (root / day / ".part-0.json.gz.crc").write_bytes(b"\x00crc")
    (root / "_temporary" / "0").mkdir(parents=True)
    (root / "_temporary" / "0" / "part-1.json").write_text("half-written\n")
    assert expand_inputs([str(root)]) == (
        str(root / "dt=2026-11-22" / "part-0.json.gz"),
        str(root / "dt=2026-11-23" / "part-0.json.gz"),
    )
    ing = ingest([str(root)], tmp_path)
    assert [r[1:3] for r in _controls(ing)] == [("c1", "pass"), ("c2", "pass")]
    assert ing.stats.malformed == 0


def test_malformed_lines_are_counted_with_file_and_line(tmp_path: Path) -> None:
    dec = decorations("h1")
    ing = _ingest(
        tmp_path,
        control("c1", "pass", T0, dec),
        "not json {",
        "",
        '{"name": "trails.control.c2", "snapshot": [{"status": "pa\udcffss"}]}',
        '["an array"]',
        control("c2", "pass", T0, dec),
        # half a surrogate pair: DuckDB refuses it (Python's json would take it)
        '{"name": "trails.control.c3", "snapshot": [{"status": "fail\\ud800"}]}',
        # an escaped backslash, then the text "ud800": a good line
        '{"name": "trails.control.c4", "unixTime": 1, "snapshot": [{"status": "fail\\\\ud800"}]}',
    )
    assert ing.stats.malformed == 4
    assert ing.stats.lines == 7  # the blank line is not a line of results
    samples = [(Path(s.file).name, s.line, s.reason) for s in ing.stats.malformed_samples]
    assert samples == [
        ("r.log", 2, "not JSON"),
        ("r.log", 4, "not UTF-8"),
        ("r.log", 5, "not an osquery result line"),
        ("r.log", 7, "not JSON (a lone surrogate escape)"),
    ]
    assert len(_controls(ing)) == 3


@pytest.mark.parametrize(
    "time",
    [
        '"unixTime": "NaN"',
        '"unixTime": 1e300',
        '"unixTime": "Infinity"',
        '"unixTime": 253402300800',  # the first second of the year 10000
        '"unixTime": -1',
        '"unixTime": true',
        '"unixTime": {}',
        '"unixTime": "soon"',
        '"calendarTime": "Mon Nov 23 12:00:00 2026"',  # not osquery's format: no UTC
        '"unixTime": -1, "calendarTime": "Wed Dec 31 23:59:59 1969 UTC"',
        "",
    ],
)
@pytest.mark.parametrize("name", ["trails.control.c1", "trails.schedule_stats", "trails.integrity"])
def test_a_trails_line_without_a_usable_time_is_malformed(
    tmp_path: Path, time: str, name: str
) -> None:
    """It cannot be placed in the window: counted and located, not dropped unseen (a
    failing result among them), and never a crash on a year no report can print."""
    head = f'"name": "{name}", "hostIdentifier": "h1"' + (f", {time}" if time else "")
    ing = _ingest(
        tmp_path,
        control("c2", "pass", T0, decorations("h1")),
        "{" + head + ', "snapshot": [{"status": "fail"}]}',
    )
    assert ing.stats.malformed == 1
    samples = [(s.line, s.reason) for s in ing.stats.malformed_samples]
    assert samples == [(2, NO_TIME)]
    assert [c[1] for c in _controls(ing)] == ["c2"]


@pytest.mark.parametrize(("time", "t"), TIME_TEXTS)
def test_the_engine_and_the_sample_reader_agree_on_every_time_text(
    tmp_path: Path, time: str, t: int | None
) -> None:
    line = '{"name": "trails.control.c1", "hostIdentifier": "h1", ' + time
    ing = _ingest(tmp_path, line + ', "snapshot": [{"status": "fail"}]}')
    reasons = [s.reason for s in ing.stats.malformed_samples]
    if t is None:
        assert (ing.stats.malformed, reasons) == (1, [NO_TIME])
    else:
        assert (ing.stats.malformed, reasons) == (0, [])
        assert _con(ing).execute("SELECT t FROM rows").fetchall() == [(t,)]


def test_the_sample_reader_applies_the_time_rule_to_lines_python_cannot_nest(
    tmp_path: Path,
) -> None:
    deep = "[" * 5000 + "]" * 5000
    line = '{"name": "trails.control.c1", "snapshot": [{"status": "fail", "x": ' + deep + "}]}"
    ing = _ingest(tmp_path, line)
    assert [(s.line, s.reason) for s in ing.stats.malformed_samples] == [(1, NO_TIME)]


def test_a_name_the_engines_like_as_statistics_needs_a_time_too(tmp_path: Path) -> None:
    """LIKE '%trails.schedule_stats' takes any character for each ``_``."""
    ing = _ingest(tmp_path, '{"name": "trails.scheduleXstats", "snapshot": []}')
    assert [s.reason for s in ing.stats.malformed_samples] == [NO_TIME]


@pytest.mark.parametrize(
    ("time", "t"),
    [
        ('"unixTime": 253402300799', 253402300799),
        ('"unixTime": "0"', 0),
        ('"unixTime": 1795435200.5', 1795435200),  # halves to even, as the engines cast
        ('"calendarTime": "Mon Nov 23 12:00:00 2026 UTC"', 1795435200),
        ('"unixTime": "x", "calendarTime": "Mon Nov 23 12:00:00 2026 UTC"', 1795435200),
        ('"unixTime": -1, "calendarTime": "Mon Nov 23 12:00:00 2026 UTC"', 1795435200),
    ],
)
def test_every_time_a_report_can_print_is_usable(tmp_path: Path, time: str, t: int) -> None:
    line = '{"name": "trails.control.c1", "hostIdentifier": "h1", ' + time
    ing = _ingest(tmp_path, line + ', "snapshot": [{"status": "fail"}]}')
    assert ing.stats.malformed == 0
    assert _con(ing).execute("SELECT t FROM rows").fetchall() == [(t,)]


def test_strings_are_bounded(tmp_path: Path) -> None:
    dec = decorations("h" * 5000, hostname="n" * (1 << 20))
    ing = _ingest(tmp_path, control("c1", "fail", T0, dec, [{"x": "y" * 100_000}]))
    host, hostname, evidence = (
        _con(ing).execute("SELECT host_uuid, hostname, evidence FROM rows").fetchone() or ()
    )
    assert len(host) <= 1024
    assert len(hostname) <= 1024
    assert len(evidence) <= 4 * 8192


def test_stats_and_integrity_rows(tmp_path: Path) -> None:
    dec = decorations("h1")
    ing = _ingest(
        tmp_path,
        stats({"c0": (0, 3), "c1": (1, 0), "c2": (0, 3), "c3": (0, 5, 0)}, T0, dec),
        integrity(T0, dec, last_result="signature"),
    )
    got = (
        _con(ing)
        .execute(
            "SELECT control_id, denylisted, executions, output_size FROM rows"
            " WHERE kind = 'stats' ORDER BY 1"
        )
        .fetchall()
    )
    # healthy statistics are dropped, except a line's first row (it counts the line)
    assert got == [("c0", False, 3, 180), ("c1", True, 0, 180), ("c3", False, 5, 0)]
    (row,) = (
        _con(ing).execute("SELECT integrity FROM rows WHERE kind = 'integrity'").fetchone() or ()
    )
    assert json.loads(row)["last_result"] == "signature"
    assert ing.stats.result_rows == 4
    assert ing.stats.lines == 2


def test_other_queries_and_simulated_marker(tmp_path: Path) -> None:
    dec = decorations("h1", trails_simulated="true")
    ing = _ingest(
        tmp_path, line("pack_x_processes", [{"pid": "1"}], T0, dec), control("c1", "pass", T0, dec)
    )
    assert ing.simulated
    assert ing.stats.simulated_lines == 2
    assert ing.stats.lines == 2
    assert ing.stats.result_rows == 1


def test_pack_prefixed_control_names(tmp_path: Path) -> None:
    row = {"control_id": "c9", "status": "pass", "evidence": "[]", "evidence_count": "0"}
    ing = _ingest(tmp_path, line("pack_cis_trails.control.c9", [row], T0, decorations("h1")))
    assert [r[1] for r in _controls(ing)] == ["c9"]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_arbitrary_bytes_never_crash(tmp_path: Path, chunks: list[bytes]) -> None:
    path = tmp_path / "fuzz.log"
    good = control("c1", "pass", T0, decorations("h1")).encode()
    path.write_bytes(b"\n".join([good, *(c.replace(b"\n", b" ") for c in chunks), good]) + b"\n")
    ing = ingest([str(path)], tmp_path)
    assert len(_controls(ing)) == 2
    non_blank = 2 + sum(1 for c in chunks if c.replace(b"\n", b" ").strip(b" \r\t"))
    assert ing.stats.lines <= non_blank
    assert ing.stats.lines >= 2
    _con(ing).close()


# JSON text where parsers disagree: escapes of half a surrogate pair (DuckDB refuses,
# Python's json takes), escaped backslashes, non-JSON numbers, quotes, nesting. No comma,
# no lower-case nan or inf: DuckDB accepts a trailing comma ({"a": 1,}) and those
# literals that Python (and Jackson) refuse, a known disagreement this test found
# (docs/report.md).
_JSON_PIECES = [
    '"trails.control.c1"', '"name"', ":", "{", "}", "[", "]", '"snapshot"', '"status"',
    '"\\ud800"', '"\\udc00"', '"\\ud800\\udc00"', '"\\\\ud800"', '"\\\\\\ud800"',
    "NaN", "Infinity", "1e999", "1E5", "01", "-0", '"\\q"', "'x'", "null", "true", " ", "\t",
    "\r", '",]"', '"\x01"', '"\u00e9"', "//", '""',
]  # fmt: skip


def _as_status(text: str) -> str:
    return '{"name": "trails.control.c1", "snapshot": [{"status": ' + text + "}]}"


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.sampled_from(_JSON_PIECES), max_size=14)
        .map("".join)
        .flatmap(lambda text: st.sampled_from([text, _as_status(text)])),
        max_size=MAX_MALFORMED_SAMPLES,
    )
)
# regressions: valid lines Python's json could not read (nested 1,000 deep, an integer of
# 4,301 digits) were among the samples, beside a malformed line
@example(texts=[_as_status("[" * 1000 + "]" * 1000), _as_status("9" * 4301), "garbage"])
def test_the_samples_find_the_lines_the_engine_counts_malformed(
    tmp_path: Path, texts: list[str]
) -> None:
    """Python's second read judges a line malformed exactly when DuckDB did: read on its
    own, it finds as many malformed lines as DuckDB counted, and the same ones."""
    path = tmp_path / "fuzz.log"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    ing = ingest([str(path)], tmp_path)
    assert len(malformed_samples([str(path)])) == ing.stats.malformed
    assert len(ing.stats.malformed_samples) == ing.stats.malformed
    _con(ing).close()


_NAME_PIECES = ["pack_", "_", "trails.control.", "trails.", "c1", "x-y", ".", "é", "\n", " "]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(_NAME_PIECES), max_size=7).map("".join), max_size=6))
def test_control_ids_are_the_patterns_group(tmp_path: Path, names: list[str]) -> None:
    """The ingest finds a control's id without regexp_extract when it can; the id (of a
    query, or of a schedule statistics row) is still exactly the group RE2 captures, for
    names holding the prefix several times, pack prefixes, newlines and non-ASCII."""
    dec = decorations("h1")
    row = {"status": "pass", "evidence": "[]", "evidence_count": "0"}
    stat_names = names or ["x"]
    stat_rows = [{"name": n, "denylisted": "1", "executions": "0"} for n in stat_names]
    texts = [line(n, [row], T0, dec) for n in names]
    con = _con(_ingest(tmp_path, *texts, line("trails.schedule_stats", stat_rows, T0, dec)))

    def group(name: str) -> str | None:
        sql = "SELECT nullif(regexp_extract($n, $p, 1), '')"
        found: str | None = (
            con.execute(sql, {"n": name, "p": CONTROL_QUERY_NAME}).fetchone() or (None,)
        )[0]
        return found

    def ids(kind: str) -> Counter[str | None]:
        sql = "SELECT control_id FROM rows WHERE kind = $k"
        return Counter(i for (i,) in con.execute(sql, {"k": kind}).fetchall())

    assert ids("control") == Counter(g for n in names if (g := group(n)) is not None)
    # of the statistics, the first row and (all are denylisted) those naming a control
    kept = [group(n) for i, n in enumerate(stat_names) if i == 0 or group(n) is not None]
    assert ids("stats") == Counter(kept)


@pytest.mark.parametrize("extra", [0, 1])
def test_bounds_at_the_limit(tmp_path: Path, extra: int) -> None:
    """A string of exactly the bound is kept whole, one character more is cut, counting
    characters (not bytes)."""
    host = "é" * (1024 + extra)
    ing = _ingest(tmp_path, control("c1", "x" * (32 + extra), T0, decorations(host)))
    got = _con(ing).execute("SELECT host_uuid, status FROM rows").fetchone() or ()
    assert got == ("é" * 1024, "x" * 32)
