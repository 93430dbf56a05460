"""Output conventions the command modules share."""

from __future__ import annotations

import json
from typing import Any


def emit_json(obj: Any) -> None:
    """Write one JSON document to stdout (sorted keys, so scripts and diffs are stable)."""
    # print, not click.echo: host commands (trails fetch) run without click.
    print(json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False))
