"""Writing ``dist/``: stage every file first, then move each into place.

Every output is first written to a temporary file beside its final path; only when all
of them are written are they moved into place with ``os.replace``, so a build that fails
(full disk, permissions) leaves the previous files as they were and no partial file
behind. Files of namespaces not being built are left alone. A build is reproducible, so
files are not fsynced: after a crash, run it again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from trails.errors import TransportError


def _stage(final: Path, data: bytes) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        # dist/ is published to a file server, so world-readable like any build output
        # (mkstemp creates 0600, which nginx or an S3 sync running as another user cannot read).
        os.fchmod(fh.fileno(), 0o644)
    return Path(name)


def write_outputs(out: Path, files: Mapping[str, Mapping[str, bytes]]) -> list[Path]:
    """Write ``{namespace: {file name: bytes}}`` under ``out``; returns the written paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TransportError(f"cannot create output directory {out}: {exc.strerror}") from None
    staged: list[tuple[Path, Path]] = []
    try:
        for namespace, named in sorted(files.items()):
            for name, data in sorted(named.items()):
                final = out / namespace / name
                staged.append((_stage(final, data), final))
        for temp, final in staged:
            os.replace(temp, final)
    except OSError as exc:
        raise TransportError(
            f"cannot write {exc.filename or out}: {exc.strerror}; check space and permissions"
        ) from None
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return [final for _, final in staged]
