"""trails report: results ingest, control evaluation, the report model and its renderers."""
