"""The (host, control) results: a table in the engine, streamed to renderers in batches.

Evaluation writes the ``results`` table (``trails.report.evaluate``); nothing holds every
result as a Python object. ``StoredResults`` streams them, sorted, one batch at a time.
``digest_results`` writes them as gzip JSON Lines, one canonical object per line (built by
the engine, ``trails.report.lines``), and returns the SHA-256 of the uncompressed text,
which ``report.json`` carries so the report's fingerprint covers every result.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, BinaryIO

from isal import isal_zlib

from trails.models.evidence import ReportStatus
from trails.report.engine.interface import Columns, Dialect, Engine
from trails.report.lines import (
    BY_CONTROL,
    BY_HOST,
    CONTROL_ORDER,
    EVIDENCE_JSON,
    HOST_ORDER,
    evidence_sql,
    ids_sql,
    jsonl_evidence,
    jsonl_sql,
    numbered,
)
from trails.report.model import (
    ControlResult,
    EvidenceRow,
    Results,
    ResultsDigest,
    bound_text,
    evidence_rows,
)

COLUMNS = "host_uuid, control_id, status, t, cv, evidence_count, evidence, detail, exception"
RESULT_TABLE: Columns = (
    ("host_uuid", "STRING"),
    ("control_id", "STRING"),
    ("status", "STRING"),
    ("t", "BIGINT"),
    ("cv", "STRING"),
    ("evidence_count", "BIGINT"),
    ("evidence", "STRING"),
    ("detail", "STRING"),
    ("exception", "STRING"),
)
_STATUS = {s.value: s for s in ReportStatus}


def _evidence_text(rows: tuple[EvidenceRow, ...]) -> str | None:
    """The inverse of ``evidence_rows`` for rows already bounded (results made in memory)."""
    return json.dumps([r.to_dict() for r in rows], ensure_ascii=False) if rows else None


class _Decoder:
    """Rows of the results table -> ``ControlResult``; repeated strings and times shared."""

    def __init__(self) -> None:
        self.times: dict[int, datetime] = {}
        self.text: dict[str, str] = {}

    def __call__(self, row: tuple[Any, ...]) -> ControlResult:
        uuid, control, status, t, cv, n, evidence, detail, exception = row
        text = self.text
        collected = None
        if t is not None:
            collected = self.times.get(t) or self.times.setdefault(
                t, datetime.fromtimestamp(t, UTC)
            )
        return ControlResult(
            text.setdefault(uuid, uuid),
            text.setdefault(control, control),
            _STATUS[status],
            collected,
            text.setdefault(cv, cv),
            int(n or 0),
            evidence_rows(evidence),
            bound_text(detail or ""),
            exception or "",
        )


class StoredResults:
    """Every result of a report, in the engine: iterate for (host_uuid, control_id) order,
    ``by_control()`` for (control_id, host_uuid) order; ``lines()`` runs the SQL of
    ``trails.report.lines`` (what the large outputs are made of) a batch at a time."""

    def __init__(
        self, engine: Engine, table: str = "results", cleanup: Callable[[], None] | None = None
    ) -> None:
        self._engine = engine
        self._table = table
        ((self._count,),) = engine.rows(f"SELECT count(*) FROM {table}")  # noqa: S608 - ours
        load_order(engine, table)
        # The engine (and its scratch files) lives as long as these results, or until close.
        self._finalizer = weakref.finalize(self, cleanup or engine.close)

    def close(self) -> None:
        self._finalizer()

    def __len__(self) -> int:
        return int(self._count)

    def __iter__(self) -> Iterator[ControlResult]:
        return stream(self._engine, numbered(self._table), BY_HOST)

    def by_control(self) -> Iterator[ControlResult]:
        return stream(self._engine, numbered(self._table), BY_CONTROL)

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    @property
    def table(self) -> str:
        return self._table

    def lines(self, sql: str) -> Iterator[list[tuple[str]]]:
        return self._engine.batches(sql)

    def load_cells(self, name: str, cells: Iterable[tuple[str, str]]) -> None:
        self._engine.load(name, (("key", "STRING"), ("text", "STRING")), cells)

    def load_evidence(self, name: str, text: Callable[[str], str]) -> None:
        sql = evidence_sql(self._table)
        self.load_cells(
            name, ((e, text(e)) for batch in self._engine.batches(sql) for (e,) in batch)
        )


def load_order(engine: Engine, table: str) -> None:
    """``HOST_ORDER`` and ``CONTROL_ORDER`` of a results-shaped ``table``: Python sorts
    strings by code point, which is the order of their UTF-8 bytes the engines sort by."""
    for name, column in ((HOST_ORDER, "host_uuid"), (CONTROL_ORDER, "control_id")):
        ids = sorted(i for batch in engine.batches(ids_sql(table, column)) for (i,) in batch)
        engine.load(
            name, (("id", "STRING"), ("pos", "BIGINT")), [(i, n) for n, i in enumerate(ids)]
        )


def stream(engine: Engine, table: str, order: str) -> Iterator[ControlResult]:
    """The rows of a results-shaped ``table`` (or a ``numbered`` one) in ``order``, a batch
    at a time."""
    decode = _Decoder()
    for batch in engine.batches(f"SELECT {COLUMNS} FROM {table} ORDER BY {order}"):  # noqa: S608
        yield from map(decode, batch)


def store_results(engine: Engine, results: Iterable[ControlResult]) -> None:
    """Put results made in memory (a fleet simulation, tests) into the ``results`` table."""
    engine.load(
        "results",
        RESULT_TABLE,
        [
            (
                r.host_uuid,
                r.control_id,
                r.status.value,
                None if r.collected is None else int(r.collected.timestamp()),
                r.config_version,
                r.evidence_count,
                _evidence_text(r.evidence),
                r.detail,
                r.exception,
            )
            for r in results
        ],
    )


def write_behind(pieces: Iterable[bytes], write: Callable[[bytes], object]) -> None:
    """``write`` each piece, in order, on a second thread while the next is made: gzip,
    hashing and file writes release the GIL, which fetching from the engine holds."""
    with ThreadPoolExecutor(1) as worker:
        written: Future[object] | None = None
        for piece in pieces:
            if written is not None:
                written.result()  # one piece in hand at most
            written = worker.submit(write, piece)
        if written is not None:
            written.result()


class _Gzip:
    """A gzip stream (no name, time 0 in its header) of the bytes written, to ``out``, made
    by ISA-L: four times as fast as zlib at its fastest level, and a little smaller. ISA-L's
    output depends on how its input is split across calls, so it is fed blocks of one size:
    the bytes depend on the text alone, not on the batches an engine hands it over in."""

    BLOCK = 1 << 20

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._packer = isal_zlib.compressobj(1, wbits=31)
        self._pending = bytearray()

    def write(self, data: bytes) -> None:
        self._pending += data
        whole = len(self._pending) - len(self._pending) % self.BLOCK
        with memoryview(self._pending) as view:
            for at in range(0, whole, self.BLOCK):
                self._out.write(self._packer.compress(view[at : at + self.BLOCK]))
        del self._pending[:whole]

    def finish(self) -> None:
        """The last block and the gzip trailer; ``out`` stays open."""
        self._out.write(self._packer.compress(self._pending) + self._packer.flush())


def digest_results(results: Results, out: BinaryIO | None = None) -> ResultsDigest:
    """The SHA-256 of the results file's JSON Lines; written to ``out`` as gzip when given
    (the same results give the same bytes)."""
    digest = hashlib.sha256()
    sizes = []
    packed = None if out is None else _Gzip(out)

    def pieces() -> Iterator[bytes]:
        results.load_evidence(EVIDENCE_JSON, jsonl_evidence)
        for batch in results.lines(jsonl_sql(results.dialect, results.table)):
            sizes.append(len(batch))
            yield ("\n".join([line for (line,) in batch]) + "\n").encode("utf-8")

    def take(data: bytes) -> None:
        digest.update(data)
        if packed is not None:
            packed.write(data)

    write_behind(pieces(), take)
    if packed is not None:
        packed.finish()
    return ResultsDigest(rows=sum(sizes), sha256=digest.hexdigest())
