"""``systemd_units``: osquery/tables/system/linux/systemd_units.cpp.

osquery calls systemd's D-Bus ``Manager.ListUnits``: the units systemd has loaded,
whatever their state (``systemctl list-units --all``), never the unit files it has not
loaded (``list-unit-files``). A disabled unit nothing references is absent; a masked or
missing unit appears only while something references it, with ``load_state`` masked /
not-found. Then it reads the string properties ``FragmentPath``, ``SourcePath``,
``UnitFileState`` and (services only) ``User``, ``""`` when unset or not applicable:
``unit_file_state`` is ``masked`` for a masked unit and ``""`` for a not-found one.

Live (``Runtime.units`` None and the runtime is the running system): one bounded
``systemctl show --all --property=... '*'`` (globs expand over the loaded units, as
ListUnits lists them); ``job_type`` is not among the properties and stays ``""``.

Recorded (``Runtime.units``, a UTF-8 JSON file of at most 16 MiB): an array with one
object per unit ListUnits returned, keyed by osquery's column names::

    [{"id": "sshd.service", "description": "OpenBSD Secure Shell server",
      "load_state": "loaded", "active_state": "active", "sub_state": "running",
      "unit_file_state": "enabled", "fragment_path": "/lib/systemd/system/ssh.service",
      "source_path": "", "user": "", "following": "", "job_id": 0, "job_type": "",
      "job_path": "/", "object_path": "/org/freedesktop/systemd1/unit/sshd_2eservice"}]

Only ``id`` is required. ``unit``, ``load``, ``active`` and ``sub`` are accepted for
``id``, ``load_state``, ``active_state`` and ``sub_state``, so the output of
``systemctl list-units --all --output=json`` with ``unit_file_state`` added per unit is
such a file. A missing text column is ``""`` (what osquery shows), ``job_id`` 0,
``job_path`` ``/`` and ``object_path`` systemd's escaped path of the id. A file that
cannot be read or is not such an array gives no rows; an entry that is not an object
with a text ``id`` is skipped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import tool_output
from trails.collector.tables._runtime import is_live, read_text, sql_int

MAX_UNITS_FILE = 16 * 1024 * 1024
SYSTEMCTL_TIMEOUT = 30.0
_UNIT_PATH = "/org/freedesktop/systemd1/unit/"
_JOB_PATH = "/org/freedesktop/systemd1/job/"
_TEXT = (
    "id",
    "description",
    "load_state",
    "active_state",
    "sub_state",
    "unit_file_state",
    "following",
    "object_path",
    "job_type",
    "job_path",
    "fragment_path",
    "user",
    "source_path",
)
_ALIASES = {"unit": "id", "load": "load_state", "active": "active_state", "sub": "sub_state"}
# systemctl show's property for each column it can fill
_PROPERTIES = {
    "Id": "id",
    "Description": "description",
    "LoadState": "load_state",
    "ActiveState": "active_state",
    "SubState": "sub_state",
    "Following": "following",
    "FragmentPath": "fragment_path",
    "SourcePath": "source_path",
    "UnitFileState": "unit_file_state",
    "User": "user",
}


def object_path(unit: str) -> str:
    """The unit's D-Bus object path: systemd's ``bus_label_escape`` of its id."""
    label = "".join(
        chr(b)
        if chr(b).isascii() and (chr(b).isalpha() or (i > 0 and chr(b).isdigit()))
        else f"_{b:02x}"
        for i, b in enumerate(unit.encode())
    )
    return _UNIT_PATH + (label or "_")


def unit_row(fields: Mapping[str, Any]) -> Row | None:
    """A row from one unit's columns (osquery's names or systemctl's aliases)."""
    values: dict[str, Any] = {_ALIASES.get(k, k): v for k, v in fields.items()}
    unit = values.get("id")
    if not isinstance(unit, str):
        return None
    row: Row = {c: v if isinstance(v := values.get(c), str) else "" for c in _TEXT}
    job = values.get("job_id")
    # through sql_int, so that no number beyond SQLite's 64 bits reaches the table
    usable = isinstance(job, int | str) and not isinstance(job, bool)
    row["job_id"] = sql_int(str(job)) if usable else 0
    if "object_path" not in values:
        row["object_path"] = object_path(unit)
    if "job_path" not in values:
        row["job_path"] = "/"
    return row


def parse_units_file(text: str) -> Iterator[Row]:
    try:
        units = json.loads(text)
    except ValueError:
        return
    if not isinstance(units, list):
        return
    for unit in units:
        if isinstance(unit, dict):
            row = unit_row(unit)
            if row is not None:
                yield row


def parse_show(text: str) -> Iterator[Row]:
    """Rows from ``systemctl show`` output: ``Key=value`` lines, units split by a blank line."""
    for block in text.split("\n\n"):
        properties: dict[str, str] = {}
        for line in block.split("\n"):
            key, sep, value = line.partition("=")
            if sep:
                properties[key] = value
        fields: dict[str, Any] = {
            column: properties[name] for name, column in _PROPERTIES.items() if name in properties
        }
        if not properties.get("Id", "").endswith(".service"):
            # osquery reads User on the Service interface; sockets, mounts and swaps have
            # a User of their own that systemctl shows but osquery does not
            fields.pop("user", None)
        job = sql_int(properties.get("Job", "")) or 0
        fields["job_id"] = job
        fields["job_path"] = f"{_JOB_PATH}{job}" if job > 0 else "/"
        row = unit_row(fields)
        if row is not None:
            yield row


def _ask_systemd() -> str:
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return ""
    command = [
        systemctl,
        "show",
        "--all",
        "--no-pager",
        "--property=" + ",".join(("Job", *_PROPERTIES)),
        "--",
        "*",
    ]
    return tool_output(command, SYSTEMCTL_TIMEOUT, "C.UTF-8") or ""


def generate(host: Host, query: Query) -> Iterator[Row]:
    runtime = host.runtime
    if runtime is None:
        return
    if runtime.units is not None:
        yield from parse_units_file(read_text(Path(runtime.units), MAX_UNITS_FILE) or "")
    elif is_live(runtime):
        yield from parse_show(_ask_systemd())


TABLE = Table("systemd_units", generate, runtime=True)
