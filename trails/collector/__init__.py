"""The reference collector: osquery 5.23.1's Linux tables, read from a root directory.

``trails check`` and the pack tests evaluate compiled control queries against the
tables built here. Each table is a port of osquery's own generator (which columns are
filled on Linux, how ``path``/``name`` constraints select rows), served to SQLite as
a virtual table so that constraints reach the generator the way they reach osquery's.
Tables that only a running kernel has (current sysctl values, loaded modules, mounts,
processes, unit states) are filled only when the root is the running system, or from a
host state's recorded runtime; otherwise they are empty and checks that need them say
``no_evidence``.
"""
