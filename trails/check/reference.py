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
    """Reads a host's root (never writes it) and, when it has one, its runtime."""

    def __init__(self, host: Host) -> None:
        self._host = host
        self._conn = open_host_db(host)

    @classmethod
    def for_root(cls, root: Path) -> ReferenceEvaluator:
        """``root``; runtime tables only when ``root`` is ``/`` (this running system)."""
        return cls(Host(root=root, runtime=LIVE if root.resolve() == Path("/") else None))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "reference",
            "osquery_version": SHIPPED_VERSION,
            "root": str(self._host.root),
            "runtime": self._host.runtime is not None,
        }

    def run(self, sql: str) -> list[dict[str, Any]]:
        try:
            return query(self._conn, sql)
        except (apsw.Error, ValueError, OSError) as exc:
            raise QueryFailed(" ".join(str(exc).split())[:300]) from exc

    def close(self) -> None:
        self._conn.close()
