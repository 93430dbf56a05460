"""Private keys on disk: PKCS#8 PEM, optionally encrypted. The passphrase comes from an
environment variable or a file, never from the command line (it would show in ``ps``)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from trails.errors import TransportError, UsageError

MAX_KEY_FILE = 64 * 1024


def read_passphrase(env_var: str | None, file: Path | None) -> bytes | None:
    """The passphrase named by ``--passphrase-env`` or ``--passphrase-file``, or None."""
    if env_var and file:
        raise UsageError("give --passphrase-env or --passphrase-file, not both")
    if env_var:
        value = os.environ.get(env_var)
        if not value:
            raise UsageError(f"environment variable {env_var} is empty or unset; export it")
        return value.encode("utf-8")
    if file:
        try:
            with file.open("rb") as handle:  # one byte more than allowed: it may be a device
                text = handle.read(MAX_KEY_FILE + 1)
        except OSError as exc:
            raise UsageError(f"cannot read passphrase file {file}: {exc.strerror}") from None
        if len(text) > MAX_KEY_FILE:
            raise UsageError(f"passphrase file {file} is larger than {MAX_KEY_FILE} bytes")
        value_bytes = text.rstrip(b"\r\n")
        if not value_bytes:
            raise UsageError(f"passphrase file {file} is empty; write the passphrase into it")
        return value_bytes
    return None


def key_to_pem(key: PrivateKeyTypes, passphrase: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_key(path: Path, passphrase: bytes | None) -> PrivateKeyTypes:
    """Load a PKCS#8 PEM key; one-line errors that never echo key material."""
    try:
        with path.open("rb") as handle:  # one byte more than a key may be: it may be a device
            data = handle.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise UsageError(f"cannot read key {path}: {exc.strerror}") from None
    if len(data) > MAX_KEY_FILE:
        raise UsageError(f"key file {path} is larger than {MAX_KEY_FILE} bytes; is it a key?")
    encrypted = b"ENCRYPTED PRIVATE KEY" in data
    if encrypted and passphrase is None:
        raise UsageError(
            f"key {path} is encrypted; pass --passphrase-env VAR or --passphrase-file FILE"
        )
    try:
        return serialization.load_pem_private_key(data, passphrase if encrypted else None)
    except (ValueError, TypeError):
        what = "wrong passphrase or corrupt key" if encrypted else "not a PKCS#8 PEM private key"
        raise UsageError(f"cannot load key {path}: {what}") from None


def write_private(path: Path, data: bytes) -> None:
    """Write a key file readable by its owner only; refuse to overwrite an existing key."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} already exists; remove it or choose another directory") from None
    except OSError as exc:
        raise TransportError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
