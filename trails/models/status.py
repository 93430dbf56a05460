"""The agent's status database and the osquery tables that expose it (docs/design.md §6).

The agent (``trails fetch``) writes these tables into SQLite; ``trails build`` adds
``auto_table_construction`` entries so osquery reads them as ``trails_status`` and
``trails_audit_rules``; control packs and the report query them. This module is the
single definition all of those use. osquery's ATC exposes every column as TEXT.
"""

from __future__ import annotations

from typing import NamedTuple

DEFAULT_DB_PATH = "/var/lib/trails/trails.db"


class StatusTable(NamedTuple):  # not a dataclass: the agent's 304 path loads this
    osquery_name: str  # the table name osquery exposes
    sqlite_name: str  # the table inside trails.db
    columns: tuple[str, ...]

    def ddl(self) -> str:
        cols = ", ".join(f"{c} TEXT" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.sqlite_name} ({cols})"

    def atc_entry(self, db_path: str = DEFAULT_DB_PATH) -> dict[str, object]:
        return {
            "query": f"SELECT {', '.join(self.columns)} FROM {self.sqlite_name};",  # noqa: S608
            "path": db_path,
            "columns": list(self.columns),
            "platform": "linux",
        }


# One row: the release this host runs now, and the outcome of the last attempt.
STATUS = StatusTable(
    osquery_name="trails_status",
    sqlite_name="status",
    columns=(
        "namespace",
        "version",
        "config_version",
        "signer_subject",
        "signer_fingerprint",  # hex SHA-256 of the leaf certificate DER
        "verified_at",  # RFC 3339 UTC
        "expires",  # RFC 3339 UTC, the installed release's expiry
        "last_attempt_at",
        "last_result",  # "ok", "unchanged", or the refused check's name
        "last_error",  # one-line message, empty when the last attempt succeeded
        "osquery_conf_path",  # where the agent installed osquery.conf
        "osquery_conf_sha256",  # the manifest's hash of it (compare with osquery's hash table)
        "audit_rules_path",
        "audit_rules_sha256",  # the manifest's hash (before host-side glob expansion)
        "audit_enabled",  # `auditctl -s` enabled: 0 off, 1 on, 2 locked until reboot (-e 2)
    ),
)

# One row per rule the kernel has loaded, as ``auditctl -l`` printed it.
AUDIT_RULES = StatusTable(
    osquery_name="trails_audit_rules",
    sqlite_name="audit_rules",
    columns=("position", "rule", "key", "loaded_at"),
)

TABLES = (STATUS, AUDIT_RULES)
