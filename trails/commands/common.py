"""Output conventions the command modules share."""

from __future__ import annotations

import json
from typing import Any

from trails.errors import TrailsError, VerificationError, failure_name


def emit_json(obj: Any) -> None:
    """Write one JSON document to stdout (sorted keys, so scripts and diffs are stable)."""
    # print, not click.echo: host commands (trails fetch) run without click.
    print(json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False))


def refusal(error: TrailsError, namespace: str | None, **extra: Any) -> dict[str, Any]:
    """The ``--json`` document of a release that was refused or could not be read, with the
    same keys in ``fetch``, ``verify`` and ``report``: ``check`` (the check that refused, or
    ``transport``...), ``reason`` (the one-line message), ``namespace`` (the one asked for)
    and ``version`` (the refused release's, null when its manifest was never read)."""
    return {
        "verified": False,
        "check": failure_name(error),
        "reason": str(error),
        "namespace": namespace,
        "version": error.version if isinstance(error, VerificationError) else None,
        **extra,
    }
