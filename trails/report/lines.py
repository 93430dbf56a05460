"""The text of the large outputs, built by the engine: a line of the results file and a
row of the CSV for every (host, control) result.

Python formatting every field of millions of rows is most of a fleet report's time, so
the engine writes each line itself, in SQL shared by every engine; an engine supplies
only its spelling of a few functions (``Dialect``). The host's evidence is the one part
the engine does not format: it must be parsed and bounded (``evidence_rows``), which
Python does once for each distinct evidence text (hosts failing a control the same way
send the same text) into a (key, text) table the line's SQL joins. Tests hold every line
equal to what ``json.dumps`` and the ``csv`` module write for the same result.
"""

from __future__ import annotations

import json

from trails.report.engine.interface import Dialect
from trails.report.model import evidence_rows

# The (key, text) tables of formatted evidence the line SQL joins (``load_evidence``).
EVIDENCE_JSON = "evidence_json"
EVIDENCE_CELLS = "evidence_cells"
# The (id, pos) tables of every host and control id of the results, numbered in the ids'
# order (``load_order``): the large outputs sort by two integers, not two strings, which
# spills far less under the memory limit (100,000 hosts: 42 -> 27 s for the results file).
HOST_ORDER = "host_order"
CONTROL_ORDER = "control_order"
# The orders of a ``numbered`` table: (host, control) and (control, host).
BY_HOST = "ho.pos, co.pos"
BY_CONTROL = "co.pos, ho.pos"


def numbered(table: str) -> str:
    """A results-shaped ``table`` as ``r``, joined to the numbers of its ids (``ho``, ``co``)."""
    return (
        f"{table} r JOIN {HOST_ORDER} ho ON ho.id = r.host_uuid"
        f" JOIN {CONTROL_ORDER} co ON co.id = r.control_id"
    )


def ids_sql(table: str, column: str) -> str:
    """The distinct ids of ``column`` (host_uuid or control_id) of a results-shaped
    ``table``, which ``load_order`` numbers."""
    return f"SELECT DISTINCT {column} FROM {table}"  # noqa: S608 - our own names


def evidence_sql(table: str) -> str:
    """The distinct evidence texts of a results-shaped ``table``."""
    return f"SELECT DISTINCT evidence FROM {table} WHERE evidence IS NOT NULL"  # noqa: S608


def jsonl_sql(d: Dialect, table: str) -> str:
    """The results file's lines (``ControlResult.to_dict()`` as compact JSON with sorted
    keys), in (host_uuid, control_id) order; the evidence comes from the (key, text) table
    ``evidence_json`` (``jsonl_evidence`` of each distinct text)."""
    line = (
        "'{\"collected\":' || coalesce(" + d.json_string(d.utc_text("r.t")) + ", 'null')"
        " || ',\"config_version\":' || "
        + d.json_string("r.cv")
        + " || ',\"control_id\":' || "
        + d.json_string("r.control_id")
        + " || ',\"detail\":' || "
        + d.json_string("r.detail")
        + " || ',\"evidence\":[' || coalesce(e.text, '')"
        " || '],\"evidence_count\":' || CAST(r.evidence_count AS STRING)"
        " || ',\"exception\":' || "
        + d.json_string("r.exception")
        + " || ',\"host_uuid\":' || "
        + d.json_string("r.host_uuid")
        + " || ',\"status\":' || "
        + d.json_string("r.status")
        + " || '}'"
    )
    return (
        f"SELECT {d.lower_hex('l.line')} FROM"  # noqa: S608 - our own SQL
        f" (SELECT {line} AS line, ho.pos AS h, co.pos AS c FROM {numbered(table)}"
        f" LEFT JOIN {EVIDENCE_JSON} e ON e.key = r.evidence) l"
        " ORDER BY l.h, l.c"
    )


def csv_sql(d: Dialect, table: str, simulated: bool) -> str:
    """CSV rows (trails.report.render.csv_report.COLUMNS), in (host_uuid, control_id)
    order. The cells of hosts, controls and evidence come from the tables ``host_cells``,
    ``control_cells`` and ``evidence_cells`` (key, text) the CSV renderer loads; unknown
    hosts and controls get the id only."""
    line = (
        "coalesce(h.text, " + d.csv_cell("r.host_uuid") + " || ',,,')"
        " || ',' || coalesce(c.text, " + d.csv_cell("r.control_id") + " || ',,,')"
        " || ',' || r.status || ',' || coalesce(" + d.utc_text("r.t") + ", '')"
        " || ',' || " + d.csv_cell("r.cv") + " || ',' || CAST(r.evidence_count AS STRING)"
        " || ',' || "
        + d.csv_cell("r.detail")
        + " || ',' || "
        + d.csv_cell("r.exception")
        + " || ',' || coalesce(e.text, '')"
        " || '," + ("true" if simulated else "false") + "'"
    )
    return (
        f"SELECT {line} FROM {numbered(table)}"  # noqa: S608 - our own SQL
        " LEFT JOIN host_cells h ON h.key = r.host_uuid"
        " LEFT JOIN control_cells c ON c.key = r.control_id"
        f" LEFT JOIN {EVIDENCE_CELLS} e ON e.key = r.evidence"
        f" ORDER BY {BY_HOST}"
    )


def jsonl_evidence(text: str | None) -> str:
    """The evidence between a results-file line's brackets."""
    return ",".join(
        json.dumps(row.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        for row in evidence_rows(text)
    )
