"""The contract between compiled control queries (packs/build) and the report (docs/design.md §7).

Every automated control compiles into one scheduled snapshot query named
``CONTROL_QUERY_PREFIX + control_id`` that always returns exactly one row with the
columns ``RESULT_COLUMNS``. The build also schedules ``SCHEDULE_STATS_QUERY`` (osquery's
own schedule statistics, so failed or denylisted checks become ``error``) and
``INTEGRITY_QUERY`` (the agent's status joined with the installed config's hash).
Every result line carries the decorations ``DECORATION_KEYS``.
"""

from __future__ import annotations

import re
from enum import StrEnum

CONTROL_QUERY_PREFIX = "trails.control."
SCHEDULE_STATS_QUERY = "trails.schedule_stats"
INTEGRITY_QUERY = "trails.integrity"
# The column of INTEGRITY_QUERY with osquery's own hash of the installed osquery.conf.
INSTALLED_HASH_COLUMN = "installed_osquery_conf_sha256"
# The decoration ``trails simulate`` puts on every line it writes.
SIMULATED_DECORATION = "trails_simulated"
CONTROL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
# The only names a control's results may arrive under: the schedule's own name, or the
# one osquery gives a pack's query (``pack_<pack>_<query>``). Anything else that merely
# contains the prefix (``audit_helper_trails.control.X``) is not that control's result.
CONTROL_QUERY_NAME = r"^(?:pack_.+_)?trails\.control\.([A-Za-z0-9][A-Za-z0-9._-]{0,127})$"
_CONTROL_QUERY_NAME = re.compile(CONTROL_QUERY_NAME)

# Columns of the one row a control query returns.
RESULT_COLUMNS = ("control_id", "status", "evidence_count", "evidence")
# Bounds of the JSON evidence a control row carries (offending rows, truncated).
MAX_EVIDENCE_ROWS = 20
MAX_EVIDENCE_BYTES = 8192

DECORATION_KEYS = (
    "host_uuid",
    "hostname",
    "namespace",
    "config_version",
    "org",
    "owner",
    "owner_group",
    "project",
)


class HostStatus(StrEnum):
    """What a control query itself can say on a host."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    NO_EVIDENCE = "no_evidence"  # a table the verdict needs returned nothing on the host
    STALE = "stale"  # the agent's audit rule snapshot is older than the pack allows


class ReportStatus(StrEnum):
    """The statuses a report gives a (host, control) pair."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the query failed or was denylisted (schedule statistics)
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"  # no automated check exists; evidence must come from elsewhere
    NO_EVIDENCE = "no_evidence"  # nothing arrived for it in the window
    STALE = "stale"  # the newest evidence is older than the report window
    WAIVED = "waived"  # a failure a signed exception accepts until it expires; never a pass


def control_query_name(control_id: str) -> str:
    return CONTROL_QUERY_PREFIX + control_id


def control_id_of(query_name: str) -> str | None:
    """``trails.control.X`` or osquery's ``pack_P_trails.control.X`` -> ``X``; else None."""
    match = _CONTROL_QUERY_NAME.match(query_name)
    return match.group(1) if match else None
