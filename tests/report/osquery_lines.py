"""Build osquery filesystem-logger result lines the way osquery 5 serialises them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from trails.models.evidence import (
    CONTROL_QUERY_PREFIX,
    INSTALLED_HASH_COLUMN,
    INTEGRITY_QUERY,
    SCHEDULE_STATS_QUERY,
)
from trails.models.status import STATUS

T0 = 1795435200  # 2026-11-23T12:00:00Z


def decorations(
    host: str, namespace: str = "linux/pci", cv: str = "20261122080000-abc1234", **kw: str
) -> dict[str, str]:
    dec = {
        "config_version": cv,
        "host_uuid": host,
        "hostname": f"{host}.example.com",
        "namespace": namespace,
        "org": "example",
        "owner": "alice",
        "owner_group": "platform",
        "project": "payments",
    }
    dec.update(kw)
    return dec


def line(
    name: str,
    rows: list[dict[str, Any]],
    t: int,
    dec: dict[str, str],
    fmt: str = "snapshot",
    *,
    top_level: bool = False,
    string_time: bool = False,
) -> str:
    head: dict[str, Any] = {
        "name": name,
        "hostIdentifier": dec.get("hostname", "h"),
        "calendarTime": datetime.fromtimestamp(t, UTC).strftime("%a %b %d %H:%M:%S %Y UTC"),
        "unixTime": str(t) if string_time else t,
        "epoch": 0,
        "counter": 0,
        "numerics": False,
    }
    if top_level:
        head.update(dec)
    else:
        head["decorations"] = dec
    if fmt == "snapshot":
        doc = {"snapshot": rows, "action": "snapshot", **head}
    elif fmt == "batch":
        doc = {"diffResults": {"added": rows, "removed": []}, **head}
    else:
        return "\n".join(json.dumps({**head, "columns": r, "action": fmt}) for r in rows)
    return json.dumps(doc)


def control(
    cid: str,
    status: str,
    t: int,
    dec: dict[str, str],
    evidence: list[dict[str, str]] | None = None,
    **kw: Any,
) -> str:
    ev = evidence or []
    row = {
        "control_id": cid,
        "evidence": json.dumps(ev),
        "evidence_count": str(len(ev)),
        "status": status,
    }
    return line(CONTROL_QUERY_PREFIX + cid, [row], t, dec, **kw)


def stats(entries: dict[str, tuple[int, ...]], t: int, dec: dict[str, str]) -> str:
    """entries: control id -> (denylisted, executions[, output_size, default 180])."""
    rows = [
        {
            "name": CONTROL_QUERY_PREFIX + cid,
            "denylisted": str(d),
            "executions": str(x),
            "interval": "3600",
            "last_executed": str(t),
            "output_size": str(rest[0] if rest else 180),
        }
        for cid, (d, x, *rest) in entries.items()
    ]
    return line(SCHEDULE_STATS_QUERY, rows, t, dec)


def integrity(t: int, dec: dict[str, str], **values: str) -> str:
    row = dict.fromkeys(STATUS.columns, "")
    row.update(
        namespace=dec["namespace"],
        config_version=dec["config_version"],
        last_result="ok",
        expires="2026-12-31T00:00:00Z",
        signer_subject="CN=signer",
        signer_fingerprint="ab" * 32,
        osquery_conf_sha256="cd" * 32,
    )
    row[INSTALLED_HASH_COLUMN] = "cd" * 32
    row.update(values)
    return line(INTEGRITY_QUERY, [row], t, dec)


# (a line's time fields, the time every reader gives it or None: malformed). The texts
# the readers' own casts and parsers disagree on (Java's parseDouble takes "1795435200d"
# and hex floats, DuckDB takes "1_795" and stray spaces, Python Unicode digits) are
# refused by the shared patterns first; tests/report/spark holds Spark to the
# same.
TIME_TEXTS = [
    ('"calendarTime": "Thu Apr  6 22:49:54 2017 UTC"', 1491518994),  # osquery's, asctime's
    ('"calendarTime": "Thu Apr 06 22:49:54 2017 UTC"', 1491518994),
    ('"unixTime": 1E9', 1000000000),
    ('"unixTime": "1e3"', 1000),
    ('"unixTime": "-0"', 0),
    ('"unixTime": ' + "9" * 400, None),
    ('"unixTime": "1795435200d"', None),
    ('"unixTime": "0x1p30"', None),
    (r'"unixTime": "\u001c1795435200"', None),
    (r'"unixTime": "1795435200\u0000"', None),
    ('"unixTime": "1_795_435_200"', None),
    ('"unixTime": " 1795435200"', None),
    (r'"unixTime": "\u00a01795435200"', None),
    (r'"unixTime": "\uff11795435200"', None),
    ('"unixTime": "+1795435200"', None),
    ('"calendarTime": " Mon Nov 23 12:00:00 2026 UTC"', None),
    ('"calendarTime": "Mon Nov 23 12:00:00 2026 UTC "', None),
    (r'"calendarTime": "Mon Nov 23 12:00:00 2026 UTC\n"', None),
    ('"calendarTime": "Mon  Nov 23 12:00:00 2026 UTC"', None),
    ('"calendarTime": "Mon Nov 23 12:0:0 2026 UTC"', None),
    ('"calendarTime": "MON NOV 23 12:00:00 2026 UTC"', None),
    ('"calendarTime": "Mon Nov 23 12:00:00 2026 Utc"', None),
    ('"calendarTime": "Mon Nov 023 12:00:00 2026 UTC"', None),
    ('"calendarTime": "Mon Feb 30 12:00:00 2026 UTC"', None),
    ('"calendarTime": "Mon Nov 23 23:59:60 2026 UTC"', None),
]
