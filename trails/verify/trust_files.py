"""The pinned roots and CRLs read from files, and the one bounded file read behind them.

``trails verify``, ``trails report --releases`` and ``trails verify-report`` all take
``--roots`` and ``--crl`` files; they read them here, so the limits and the messages are
the same everywhere. A file that cannot be read is a transport failure (exit 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from trails.errors import TransportError, UsageError
from trails.verify.trust import MAX_CRL_BYTES, TrustPolicy, load_crls, load_roots

MAX_ROOTS_BYTES = 1024 * 1024


def read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes, so the caller can tell the file was too long."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise TransportError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None


def load_trust_policy(
    roots: Path, crls: Sequence[Path] = (), *, require_crl: bool = False
) -> TrustPolicy:
    """``--roots`` and every ``--crl`` file as one trust policy."""
    data = read_bounded(roots, MAX_ROOTS_BYTES)
    if len(data) > MAX_ROOTS_BYTES:
        raise UsageError(f"--roots {roots} is larger than {MAX_ROOTS_BYTES} bytes; pin the root CA")
    # load_crls refuses the one byte too many that read_bounded lets through
    loaded = [c for path in crls for c in load_crls(read_bounded(path, MAX_CRL_BYTES), str(path))]
    return TrustPolicy(
        roots=load_roots(data, str(roots)), crls=tuple(loaded), require_crl=require_crl
    )
