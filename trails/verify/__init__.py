"""Verifying releases: the pure core (``core``, ``chain``, ``trust``, ``index``, ``errors``:
bytes, a trust policy and one reference time in, a verdict out) and ``fetch``, the one
routine that reads a release through a small fetcher interface and runs every check.
The agent (``trails.agent``), ``trails verify`` and ``trails report`` all call it."""
