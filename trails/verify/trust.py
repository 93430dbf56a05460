"""What a verifier trusts: pinned roots, CRLs, and whether a current CRL is required.

The loaders take bytes (the caller reads files or downloads), so they stay pure.
Bad roots are a local configuration problem (``UsageError``); a bad CRL came from the
outside and is refused as a verification failure (``CrlError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509

from trails.errors import UsageError
from trails.verify.errors import CrlError

MAX_CRL_BYTES = 4 * 1024 * 1024
_CRL_PEM = re.compile(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", re.DOTALL)


@dataclass(frozen=True)
class TrustPolicy:
    roots: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    require_crl: bool = False


def load_roots(data: bytes, source: str = "roots file") -> tuple[x509.Certificate, ...]:
    """Self-signed root certificates from PEM bytes."""
    try:
        roots = tuple(x509.load_pem_x509_certificates(data))
    except ValueError:
        raise UsageError(f"{source} is not PEM certificates; give the root CA PEM") from None
    for cert in roots:
        if cert.subject != cert.issuer:
            raise UsageError(
                f"{source} holds {cert.subject.rfc4514_string()}, which is not a self-signed "
                "root; pin the root CA only"
            )
    return roots


def _parsed(crl: x509.CertificateRevocationList) -> x509.CertificateRevocationList:
    """Decode the lazily parsed fields now, so a malformed CRL fails here, as a CrlError."""
    _ = (crl.issuer, crl.last_update_utc, crl.next_update_utc, crl.extensions)
    _ = [(r.serial_number, r.revocation_date_utc) for r in crl]
    return crl


def load_crls(data: bytes, source: str = "CRL") -> tuple[x509.CertificateRevocationList, ...]:
    """Every CRL in PEM bytes (one or more blocks) or a single DER CRL."""
    if len(data) > MAX_CRL_BYTES:
        raise CrlError(f"{source} is larger than {MAX_CRL_BYTES} bytes; fix the CA's CRL")
    try:
        blocks = _CRL_PEM.findall(data)
        if blocks:
            return tuple(_parsed(x509.load_pem_x509_crl(block)) for block in blocks)
        return (_parsed(x509.load_der_x509_crl(data)),)
    except (ValueError, x509.InvalidVersion, x509.DuplicateExtension):
        raise CrlError(f"{source} is not a PEM or DER CRL; fetch it again from the CA") from None
