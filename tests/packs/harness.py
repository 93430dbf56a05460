"""Fixture hosts for control packs, read by the reference collector as osquery would.

A fixture's host state (merged over the pack's ``fixture_host``) is materialised into a
temporary root and runtime; the collector serves every osquery 5.23.1 table from it.
Raw ``tables`` rows (and the pack's ``fixture_defaults``) replace the collector's table
of that name, for the few cases no host state can express.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import apsw

from trails.collector.database import open_host_db, query
from trails.collector.hoststate import materialise, merge
from trails.collector.interface import Host
from trails.osquery.schema import OsquerySchema, load_schema
from trails.osquery.sqlcheck import checker_for
from trails.packs import Catalog, load_catalog
from trails.packs.compiler import compile_sql
from trails.packs.include import audit_context as include_audit_context
from trails.packs.model import Control, Fixture, Pack
from trails.packs.templates import Context

REPO = Path(__file__).resolve().parents[2]
PACKS_DIR = REPO / "cis_pci_packs"


@cache
def catalog() -> Catalog:
    """The packs of this repository, loaded once per test session."""
    return load_catalog(PACKS_DIR)


@cache
def schema() -> OsquerySchema:
    return load_schema()


def fixture_tables(pack: Pack, fixture: Fixture | None) -> dict[str, Any]:
    """The raw rows of a fixture: the pack's defaults, then the fixture's own."""
    tables: dict[str, Any] = dict(pack.fixture_defaults)
    if fixture is not None:
        tables.update(fixture.tables)
    return tables


def host_state(pack: Pack, fixture: Fixture | None) -> Mapping[str, Any] | None:
    """The fixture's host state over the pack's base host (raw-row fixtures get the base)."""
    own = fixture.host if fixture is not None and fixture.host is not None else {}
    if not pack.fixture_host and not own:
        return None
    return merge(pack.fixture_host, own)


# One place per test process: libaugeas keeps its parsed lenses per root path, so every
# fixture host is laid out at the same path (and re-read in full, see libaugeas.load).
_HOST_DIR = Path(tempfile.gettempdir()) / f"trails-fixture-host-{os.getpid()}"


@contextmanager
def host_db(
    tables: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
    empty: Collection[str] = (),
    only: Collection[str] | None = None,
) -> Iterator[apsw.Connection]:
    """A host database: ``state`` materialised (or an empty root), ``tables`` raw."""
    shutil.rmtree(_HOST_DIR, ignore_errors=True)
    _HOST_DIR.mkdir(parents=True)
    try:
        if state is None:
            (_HOST_DIR / "root").mkdir()
            host = Host(root=_HOST_DIR / "root")
        else:
            host = materialise(state, _HOST_DIR)
        conn = open_host_db(host, raw=tables, empty=empty, only=only)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        shutil.rmtree(_HOST_DIR, ignore_errors=True)


def audit_context(pack: Pack, control: Control, arch: str = "x86_64") -> Context:
    return include_audit_context(pack, control, PACKS_DIR, arch)


def run_control(
    pack: Pack,
    control: Control,
    tables: Mapping[str, Any],
    *,
    state: Mapping[str, Any] | None = None,
    empty: Collection[str] = (),
    arch: str = "x86_64",
) -> list[dict[str, Any]]:
    """Run the compiled query of ``control`` (built for ``arch``) on one fixture host."""
    sql = compile_sql(control, pack, audit_context(pack, control, arch))
    with host_db(tables, state, empty, only=_reads(sql) | set(tables)) as conn:
        return query(conn, sql)


@cache
def _reads(sql: str) -> frozenset[str]:
    return checker_for(schema(), "linux").tables_read(sql)


def run_fixture(
    pack: Pack, control: Control, fixture: Fixture | None, *, empty: Collection[str] = ()
) -> list[dict[str, Any]]:
    return run_control(
        pack, control, fixture_tables(pack, fixture), state=host_state(pack, fixture), empty=empty
    )


def run_sql(pack: Pack, fixture: Fixture | None, sql: str) -> list[dict[str, Any]]:
    """Any query on a fixture's host (what a table returns there)."""
    tables = fixture_tables(pack, fixture)
    with host_db(tables, host_state(pack, fixture), only=_reads(sql) | set(tables)) as conn:
        return query(conn, sql)


def evidence_of(row: Mapping[str, Any]) -> list[Any]:
    value = json.loads(row["evidence"])
    assert isinstance(value, list)
    return value
