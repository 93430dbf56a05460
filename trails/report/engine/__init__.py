"""Report engines: what each engine spells its own way (reading logs, JSON functions)."""
