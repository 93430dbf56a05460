"""The production evaluator: each compiled query run by a real ``osqueryi --json``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from trails.check.interface import QueryFailed

TIMEOUT_S = 60
MAX_OUTPUT = 4 * 1024 * 1024


class OsqueryiEvaluator:
    def __init__(self, binary: Path) -> None:
        self._binary = binary
        self._version = self._call("--version").strip()

    def _call(self, *args: str) -> str:
        try:
            done = subprocess.run(
                [str(self._binary), *args],
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise QueryFailed(f"{self._binary}: {exc}") from exc
        if done.returncode != 0:
            message = " ".join(done.stderr.decode(errors="replace").split())[:300]
            raise QueryFailed(message or f"{self._binary} exited {done.returncode}")
        return done.stdout[:MAX_OUTPUT].decode(errors="replace")

    def describe(self) -> dict[str, Any]:
        return {"kind": "osqueryi", "binary": str(self._binary), "version": self._version}

    def run(self, sql: str) -> list[dict[str, Any]]:
        out = self._call("--json", sql)
        try:
            rows = json.loads(out)
        except ValueError as exc:
            raise QueryFailed(f"osqueryi printed no JSON: {out[:120]!r}") from exc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise QueryFailed("osqueryi printed JSON that is not a list of rows")
        return rows

    def close(self) -> None:
        return None
