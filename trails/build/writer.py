"""Writing ``dist/``: stage every file first, then move each into place.

All namespaces are written to a staging directory inside ``out`` (same filesystem);
only when every file is staged are they moved into place with ``os.replace``, so a
failed build leaves ``dist/`` as it was. Files of other namespaces are left alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from trails.errors import TransportError


def _fsync_write(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_outputs(out: Path, files: Mapping[str, Mapping[str, bytes]]) -> list[Path]:
    """Write ``{namespace: {file name: bytes}}`` under ``out``; returns the written paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".trails-build-", dir=out))
    except OSError as exc:
        raise TransportError(f"cannot create output directory {out}: {exc.strerror}") from None
    moves: list[tuple[Path, Path]] = []
    try:
        for namespace, named in sorted(files.items()):
            for name, data in sorted(named.items()):
                staged = staging / namespace / name
                staged.parent.mkdir(parents=True, exist_ok=True)
                _fsync_write(staged, data)
                moves.append((staged, out / namespace / name))
        for staged, final in moves:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
    except OSError as exc:
        raise TransportError(
            f"cannot write {exc.filename or out}: {exc.strerror}; check space and permissions"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [final for _, final in moves]
