"""A ``Report`` from the engine's ``results`` and ``host_info`` tables plus what is small.

``assemble`` is the one place the model is put together: ``trails report`` calls it on the
tables evaluation wrote; ``report_in_memory`` loads results made in Python (the fleet
simulator, tests) into an in-memory DuckDB engine first, so both go through the same SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from trails.fileio import atomic_write, shared_mode
from trails.report.catalog import RequirementSpec
from trails.report.engine.duck import DuckEngine
from trails.report.engine.interface import Engine
from trails.report.evaluate import HOST_TABLE
from trails.report.model import ControlInfo, ControlResult, Host, Report
from trails.report.results import StoredResults, digest_results, store_results
from trails.report.rollup import (
    control_rollups,
    group_rollups,
    listed_results,
    requirement_rollups,
    summary,
)


def assemble(
    engine: Engine,
    *,
    hosts: Sequence[Host],
    controls: Sequence[ControlInfo],
    specs: Sequence[RequirementSpec],
    framework: str | None = None,
    results_path: Path | None = None,
    cleanup: Callable[[], None] | None = None,
    **fields: Any,
) -> Report:
    """``fields``: metadata, scope, trend, integrity, ingest, baseline, exceptions.

    ``results_path``: where to write the results file (gzip JSON Lines, atomically);
    None computes its digest only.
    """
    results = StoredResults(engine, cleanup=cleanup)
    counts, failing = summary(engine)
    digest = []
    if results_path is None:
        digest.append(digest_results(results))
    else:
        atomic_write(
            results_path,
            lambda out: digest.append(digest_results(results, out)),
            shared_mode(),
            hint="; check --out",
        )
    return Report(
        summary=counts,
        failing_hosts=failing,
        hosts=tuple(hosts),
        controls=tuple(controls),
        results=results,
        results_digest=digest[0],
        listed=listed_results(engine),
        control_rollups=control_rollups(engine, controls),
        requirements=tuple(
            r
            for r in requirement_rollups(engine, controls, specs)
            if framework in (None, r.framework)
        ),
        namespaces=group_rollups(engine, hosts, "namespace"),
        owners=group_rollups(engine, hosts, "owner"),
        **fields,
    )


def store_hosts(engine: Engine, hosts: Iterable[Host]) -> None:
    engine.load(
        "host_info",
        HOST_TABLE,
        [
            (
                h.host_uuid,
                h.hostname,
                h.namespace,
                h.config_version,
                h.org,
                h.owner,
                h.owner_group,
                h.project,
                None if h.last_seen is None else int(h.last_seen.timestamp()),
            )
            for h in hosts
        ],
    )


def report_in_memory(
    hosts: Sequence[Host],
    results: Iterable[ControlResult],
    controls: Sequence[ControlInfo],
    specs: Sequence[RequirementSpec],
    **fields: Any,
) -> Report:
    """A report of results made in Python; its tables live in memory as long as it does."""
    engine = DuckEngine(duckdb.connect())
    store_hosts(engine, hosts)
    store_results(engine, results)
    return assemble(
        engine,
        hosts=tuple(sorted(hosts, key=lambda h: h.host_uuid)),
        controls=controls,
        specs=specs,
        **fields,
    )
