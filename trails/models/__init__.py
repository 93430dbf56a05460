"""Data contracts shared by build, sign, verify, packs and report (no I/O, no heavy imports)."""
