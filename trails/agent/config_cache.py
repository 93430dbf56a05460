"""A JSON copy of the agent.yaml document, so a run that finds nothing new skips PyYAML.

Importing and running PyYAML costs about as much as starting the interpreter, and the
agent reads the same few lines of YAML every 15 minutes. After a successful parse the
agent stores the YAML document as JSON in its state directory, keyed by the SHA-256 of
the YAML bytes; a later run that reads identical bytes takes the document from the
cache instead. Any edit to agent.yaml changes the key (a miss, so the YAML is parsed
again), and a cached document is validated exactly like a parsed one, so the cache
can make a run faster but never make it accept a config the YAML would not give.

The cache is trusted only when this user owns it and its directory and nobody else
can write either: whoever could write it could point the agent at another mirror and
other roots. Anything unexpected (missing, foreign, unreadable, malformed, stale) is a
miss, never an error.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from trails.agent.files import InstallIOError
from trails.fileio import atomic_write

CACHE_FORMAT = 1
CACHE_FILE = "agent-config.json"
MAX_CACHE_BYTES = 256 * 1024


class ConfigCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / CACHE_FILE

    def get(self, digest: str) -> dict[str, Any] | None:
        """The cached document for YAML bytes with SHA-256 ``digest``, or None."""
        try:
            if not _private(os.stat(self.directory)):
                return None
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as f:
                if not _private(os.fstat(f.fileno())):
                    return None
                data = f.read(MAX_CACHE_BYTES + 1)
            entry = json.loads(data) if len(data) <= MAX_CACHE_BYTES else None
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            return None
        doc = entry.get("doc")
        return doc if entry.get("sha256") == digest and isinstance(doc, dict) else None

    def put(self, digest: str, doc: dict[str, Any]) -> None:
        """Store ``doc`` (a validated document) under ``digest``; best effort."""
        try:
            data = json.dumps({"format": CACHE_FORMAT, "sha256": digest, "doc": doc})
            if json.loads(data)["doc"] != doc:  # e.g. a YAML date: only exact copies
                return
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if _private(os.stat(self.directory)):
                atomic_write(self.path, data.encode(), mode=0o600)
        except (TypeError, ValueError, OSError, InstallIOError):
            return  # a cache that cannot be written costs the next run a YAML parse


def _private(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else (and a real file or directory)."""
    kind_ok = stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)
    return kind_ok and st.st_uid == os.geteuid() and not st.st_mode & 0o022
