"""osquery facts trails validates against: the table schema, osquery's extra SQL functions,
and SQL checking by preparing statements in SQLite (osquery's own SQL engine)."""
