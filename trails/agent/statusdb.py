"""Write the agent's status into SQLite for osquery (``trails_status``, ``trails_audit_rules``).

The tables are defined once in ``trails.models.status``; osquery reads them through
``auto_table_construction``. Each write replaces a table's rows in one transaction so
osquery never sees half an update.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from trails.agent.files import InstallIOError
from trails.models.status import AUDIT_RULES, STATUS, StatusTable


def _replace_rows(
    db: sqlite3.Connection, table: StatusTable, rows: Sequence[Sequence[str]]
) -> None:
    # Recreated, not emptied: a database an older agent wrote may lack newer columns.
    db.execute(f"DROP TABLE IF EXISTS {table.sqlite_name}")
    db.execute(table.ddl())
    marks = ", ".join("?" for _ in table.columns)
    db.executemany(
        f"INSERT INTO {table.sqlite_name} ({', '.join(table.columns)}) VALUES ({marks})",  # noqa: S608
        rows,
    )


def write_status(
    db_path: Path,
    status: Mapping[str, str],
    audit_rules: Sequence[str] | None,
    loaded_at: str,
) -> None:
    """Replace the status row and, when ``audit_rules`` is given, the loaded-rule rows."""
    row = [str(status.get(c, "")) for c in STATUS.columns]
    rules = None
    if audit_rules is not None:
        rules = [(str(i), r, rule_key(r), loaded_at) for i, r in enumerate(audit_rules, 1)]
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            _write(db_path, row, rules)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise
            # Not a database (torn by a power cut, or overwritten): it only ever holds
            # what this function writes, so start it afresh.
            db_path.unlink()
            _write(db_path, row, rules)
    except (OSError, sqlite3.Error) as exc:
        raise InstallIOError(f"could not write status database {db_path}: {exc}") from None


def _write(db_path: Path, row: list[str], rules: list[tuple[str, str, str, str]] | None) -> None:
    db = sqlite3.connect(db_path, timeout=10)
    try:
        # Every run rewrites the whole content, so durability is not needed and skipping
        # fsync keeps a 304 run cheap; a file torn by a power cut is recreated above.
        db.execute("PRAGMA synchronous=OFF")
        with db:
            db.execute(AUDIT_RULES.ddl())  # kept when this run could not list the rules
            _replace_rows(db, STATUS, [row])
            if rules is not None:
                _replace_rows(db, AUDIT_RULES, rules)
    finally:
        db.close()


def rule_key(rule: str) -> str:
    """The ``key`` of a rule as ``auditctl -l`` prints it (``-k k`` or ``-F key=k``)."""
    tokens = rule.split()
    for i, tok in enumerate(tokens):
        if tok == "-k" and i + 1 < len(tokens):
            return tokens[i + 1]
        if tok == "-F" and i + 1 < len(tokens) and tokens[i + 1].startswith("key="):
            return tokens[i + 1][4:]
    return ""
