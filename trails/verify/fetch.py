"""Where a release's bytes come from, and the one routine that fetches and verifies them.

``fetch_and_verify`` is the only place the release envelope and the files it names are
read and checked (docs/design.md §6, checks 1-8): ``trails fetch`` (the agent, over HTTP),
``trails verify`` (a directory or a URL) and ``trails report --releases`` (a dist/ tree)
all call it. It reads through a ``Fetcher``, the small I/O interface python-tuf calls a
fetcher: the bytes of one file name of the release, at most a given length. Everything
else (the checks themselves) is the pure core, ``trails.verify.core``.

``DirectoryFetcher`` reads a release directory; ``trails.agent.fetcher.HttpFetcher``
downloads from a mirror. The pinned roots and CRLs are read from files here too
(``load_trust_policy``), with the same bounded read, so the limits and the messages of
``trails verify``, ``trails report --releases`` and ``trails verify-report`` are one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from trails.errors import TransportError, UsageError
from trails.formats.dsse import MAX_ENVELOPE_BYTES
from trails.formats.names import RELEASE_ENVELOPE
from trails.verify.core import ReleaseVerifier, VerifiedRelease, file_size_error
from trails.verify.errors import SizeError
from trails.verify.trust import MAX_CRL_BYTES, TrustPolicy, load_crls, load_roots

MAX_ROOTS_BYTES = 1024 * 1024


class TooLarge(SizeError):
    """A file is longer than the length asked for; ``size`` is its true size when known."""

    def __init__(self, message: str, size: int | None) -> None:
        super().__init__(message)
        self.size = size


class Missing(TransportError):
    """The file does not exist (a directory fetcher; a mirror answers 404, a transport error)."""


class Fetcher(Protocol):
    def fetch(self, name: str, max_bytes: int) -> bytes:
        """The bytes of the release's file ``name``: at most ``max_bytes``, else
        ``TooLarge``; ``Missing`` when there is no such file, ``TransportError`` when it
        could not be read."""
        ...


class FetchedRelease(NamedTuple):
    release: VerifiedRelease
    files: dict[str, bytes] | None  # name -> verified bytes; None: ``unchanged`` held


def fetch_and_verify(
    fetcher: Fetcher,
    verifier: ReleaseVerifier,
    *,
    envelope: bytes | None = None,
    unchanged: Mapping[str, str] | None = None,
    max_total_bytes: int | None = None,
    missing_ok: bool = False,
) -> FetchedRelease:
    """Checks 1-8 of docs/design.md §6: the envelope, then every file the manifest names,
    each read bounded by its signed size and checked against its signed SHA-256.

    ``envelope``: its bytes when the caller already holds them (the agent fetched it with
    a conditional request); ``unchanged``: the file hashes the caller already has (name ->
    sha256): when the signed manifest lists exactly these, nothing is fetched and
    ``files`` is None (a release re-signed to extend ``expires``); ``max_total_bytes``:
    refuse a release whose files add up to more; ``missing_ok``: a file that is not there
    is skipped (a report only uses what lies in dist/), never one that is there but wrong.
    """
    if envelope is None:
        envelope = fetch_envelope(fetcher)
    release = verifier.verify_envelope(envelope)
    listed = release.manifest.files
    if unchanged is not None and {n: e.sha256 for n, e in listed.items()} == dict(unchanged):
        return FetchedRelease(release, None)
    files: dict[str, bytes] = {}
    budget = max_total_bytes
    for name, entry in sorted(listed.items()):
        if budget is not None:
            if entry.size > budget:
                raise SizeError(
                    f"release files exceed the agent's max_total_bytes ({max_total_bytes}); "
                    "raise it if the release is legitimate"
                )
            budget -= entry.size
        try:
            data = fetcher.fetch(name, entry.size)
        except TooLarge as exc:  # longer than signed: refused by the file-size check
            raise file_size_error(name, entry.size, exc.size, release) from None
        except Missing:
            if missing_ok:
                continue
            raise
        verifier.verify_file(release, name, data)
        files[name] = data
    return FetchedRelease(release, files)


def fetch_envelope(fetcher: Fetcher, name: str = RELEASE_ENVELOPE) -> bytes:
    """A signed envelope (a release's, or the index's), bounded by ``MAX_ENVELOPE_BYTES``."""
    try:
        return fetcher.fetch(name, MAX_ENVELOPE_BYTES)
    except TooLarge:
        raise SizeError(f"{name} is over {MAX_ENVELOPE_BYTES} bytes; endless data") from None


class DirectoryFetcher:
    """A ``Fetcher`` over a release directory (``dist/<namespace>/``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def fetch(self, name: str, max_bytes: int) -> bytes:
        path = self.directory / name
        data = read_bounded(path, max_bytes)
        if len(data) > max_bytes:  # too long: the refusal names the true size
            size = _size(path)
            raise TooLarge(f"{name} is {size} bytes, over {max_bytes}; endless data", size)
        return data


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes, so the caller can tell the file was too long."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise Missing(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
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
