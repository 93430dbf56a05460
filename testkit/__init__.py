"""Fixtures the tests and the benchmarks share: release trees as ``trails build`` writes
them, the stock ``openssl cms -verify`` command line, a synthetic fleet report.

Not part of trails (not installed); importable from the repository root, where pytest
and ``bench/`` run. Benchmarks import these, never ``tests/``.
"""
