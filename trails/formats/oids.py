"""The trails PKI profile (docs/design.md §5): its OIDs and the namespace extension's encoding.

The namespace extension is DER ``SEQUENCE OF UTF8String``. It is encoded and decoded
here by hand (a dozen lines) so that the verifier needs no ASN.1 library and can be
strict: definite minimal lengths, nothing trailing, every pattern valid.
"""

from __future__ import annotations

from cryptography import x509

from trails.formats.manifest import MAX_EPOCH
from trails.models.namespace import pattern_error

_ARC = "2.25.40574217868494480703806191070881460741"
# Extended key usage: trails config signing. No other EKU lets a certificate sign configs.
EKU_CONFIG_SIGNING = x509.ObjectIdentifier(f"{_ARC}.1")
# Non-critical extension: the namespace patterns a signer may sign.
NAMESPACE_EXTENSION = x509.ObjectIdentifier(f"{_ARC}.2")
# Extended key usage: trails report signing, so a report key can never sign a config.
EKU_REPORT_SIGNING = x509.ObjectIdentifier(f"{_ARC}.3")
# Non-critical extension, DER INTEGER: the highest manifest ``epoch`` this certificate (a
# signer, or a CA capping every signer below it) may sign. Absent means 0.
EPOCH_EXTENSION = x509.ObjectIdentifier(f"{_ARC}.4")

PURPOSES = {"config": EKU_CONFIG_SIGNING, "report": EKU_REPORT_SIGNING}
MAX_PATTERNS = 64
MAX_EXTENSION_BYTES = 16 * 1024

_SEQUENCE = 0x30
_UTF8STRING = 0x0C
_INTEGER = 0x02


class NamespaceExtensionError(ValueError):
    """The namespace extension is not a well-formed list of valid patterns."""


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_namespaces(patterns: tuple[str, ...] | list[str]) -> bytes:
    """DER ``SEQUENCE OF UTF8String`` for the extension value."""
    if not patterns or len(patterns) > MAX_PATTERNS:
        raise NamespaceExtensionError(f"a signer needs 1..{MAX_PATTERNS} namespace patterns")
    items = b""
    for pattern in patterns:
        if err := pattern_error(pattern):
            raise NamespaceExtensionError(err)
        raw = pattern.encode("utf-8")
        items += bytes([_UTF8STRING]) + _der_length(len(raw)) + raw
    return bytes([_SEQUENCE]) + _der_length(len(items)) + items


def _read_tlv(data: bytes, pos: int, tag: int) -> tuple[bytes, int]:
    """One TLV with ``tag`` at ``pos``: (value, next position). Minimal definite length only."""
    if pos + 2 > len(data) or data[pos] != tag:
        raise NamespaceExtensionError(f"expected DER tag 0x{tag:02x} at offset {pos}")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 3 or pos + count > len(data):
            raise NamespaceExtensionError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80 or data[pos - count] == 0:
            raise NamespaceExtensionError("non-minimal DER length")
    if pos + length > len(data):
        raise NamespaceExtensionError("DER value runs past the end")
    return data[pos : pos + length], pos + length


def decode_namespaces(value: bytes) -> tuple[str, ...]:
    """The patterns in an extension value; raise ``NamespaceExtensionError`` if malformed."""
    if len(value) > MAX_EXTENSION_BYTES:
        raise NamespaceExtensionError("namespace extension is too large")
    body, end = _read_tlv(value, 0, _SEQUENCE)
    if end != len(value):
        raise NamespaceExtensionError("trailing bytes after the namespace SEQUENCE")
    patterns: list[str] = []
    pos = 0
    while pos < len(body):
        raw, pos = _read_tlv(body, pos, _UTF8STRING)
        try:
            pattern = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise NamespaceExtensionError("namespace pattern is not UTF-8") from None
        if err := pattern_error(pattern):
            raise NamespaceExtensionError(err)
        patterns.append(pattern)
    if not patterns or len(patterns) > MAX_PATTERNS:
        raise NamespaceExtensionError(f"namespace extension must hold 1..{MAX_PATTERNS} patterns")
    return tuple(patterns)


def certificate_namespaces(cert: x509.Certificate) -> tuple[str, ...] | None:
    """The namespace patterns of ``cert``, or None when it has no namespace extension."""
    try:
        ext = cert.extensions.get_extension_for_oid(NAMESPACE_EXTENSION)
    except x509.ExtensionNotFound:
        return None
    if ext.critical:
        raise NamespaceExtensionError("namespace extension must be non-critical")
    value = ext.value
    if not isinstance(
        value, x509.UnrecognizedExtension
    ):  # pragma: no cover - cryptography never parses it
        raise NamespaceExtensionError("namespace extension has an unexpected type")
    return decode_namespaces(value.value)


def encode_epoch(epoch: int) -> bytes:
    """DER INTEGER for the epoch extension value."""
    if type(epoch) is not int or not 0 <= epoch <= MAX_EPOCH:
        raise NamespaceExtensionError(f"an epoch is an integer 0..{MAX_EPOCH}")
    body = epoch.to_bytes(epoch.bit_length() // 8 + 1, "big")  # a leading 0 bit: positive
    return bytes([_INTEGER, len(body)]) + body


def decode_epoch(value: bytes) -> int:
    """The epoch in an extension value; refuse anything but a minimal DER INTEGER in range."""
    body, end = _read_tlv(value, 0, _INTEGER)
    if end != len(value) or not body:
        raise NamespaceExtensionError("epoch extension is not one DER INTEGER")
    if len(body) > 1 and body[0] == 0 and body[1] < 0x80:
        raise NamespaceExtensionError("epoch extension INTEGER is not minimal")
    epoch = int.from_bytes(body, "big", signed=True)
    if not 0 <= epoch <= MAX_EPOCH:
        raise NamespaceExtensionError(f"epoch {epoch} is outside 0..{MAX_EPOCH}")
    return epoch


def certificate_epoch(cert: x509.Certificate) -> int | None:
    """The epoch ``cert`` grants, or None when it has no epoch extension."""
    try:
        ext = cert.extensions.get_extension_for_oid(EPOCH_EXTENSION)
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    if ext.critical or not isinstance(value, x509.UnrecognizedExtension):
        raise NamespaceExtensionError("epoch extension must be non-critical")
    return decode_epoch(value.value)


def extended_key_usages(cert: x509.Certificate) -> tuple[x509.ObjectIdentifier, ...] | None:
    """The EKU OIDs of ``cert``, or None when it has no EKU extension."""
    try:
        return tuple(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return None
