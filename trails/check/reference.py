"""The reference evaluator: compiled queries over the collector's tables of a root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw

from trails.check.interface import QueryFailed
from trails.collector.database import open_host_db, query
from trails.collector.interface import LIVE, Host
from trails.osquery.schema import SHIPPED_VERSION


class ReferenceEvaluator:
    """Reads ``root`` (never writes it); runtime tables only when ``root`` is ``/``."""

    def __init__(self, root: Path) -> None:
        self._live = root.resolve() == Path("/")
        self._host = Host(root=root, runtime=LIVE if self._live else None)
        self._conn = open_host_db(self._host)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "reference",
            "osquery_version": SHIPPED_VERSION,
            "root": str(self._host.root),
            "runtime": self._live,
        }

    def run(self, sql: str) -> list[dict[str, Any]]:
        try:
            return query(self._conn, sql)
        except (apsw.Error, ValueError, OSError) as exc:
            raise QueryFailed(" ".join(str(exc).split())[:300]) from exc

    def close(self) -> None:
        self._conn.close()
