"""Writing ``dist/``: stage every file first, then move each into place.

Every output is first written to a temporary file beside its final path; only when all
of them are written are they moved into place, so a build that fails (full disk,
permissions) leaves the previous files as they were and no partial file behind. Files of
namespaces not being built are left alone. Staging and moving are the two halves of the
one atomic write of trails (``trails.fileio.write_temp`` and ``replace``), fsyncs included.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from trails.errors import TransportError
from trails.fileio import replace, write_temp

_HINT = "; check space and permissions"


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
                # dist/ is published to a file server: world-readable like any build output.
                staged.append((write_temp(final, data, 0o644, hint=_HINT), final))
        for temp, final in staged:
            replace(temp, final, hint=_HINT)
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return [final for _, final in staged]
