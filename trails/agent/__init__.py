"""The host agent behind ``trails fetch`` (docs/design.md §6, docs/agent.md): HTTP, the
install journal, the kernel's audit rules, its state, status database and config.

It verifies through ``trails.verify.fetch.fetch_and_verify`` and the pure core; both are
imported only when there is a release to verify, so a 304 run never loads them.
"""
