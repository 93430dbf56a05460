"""Check 3 of docs/design.md §6: the x5c chain builds to a pinned root at the reference time,
the leaf carries the required EKU, and no certificate in the chain is revoked.

Path building is ``cryptography.x509.verification`` with WebPKI CA rules but an
end-entity policy of our own: a signer certificate has no subjectAltName and its EKU is
a trails OID, which the stock client policy would refuse. EKU, the namespace extension
and CRLs are then checked here, because that verifier does not.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
)
from cryptography.x509.verification import VerificationError as PathError

from trails.formats.oids import extended_key_usages
from trails.verify.errors import (
    CertificateExpiredError,
    ChainError,
    CrlError,
    EkuError,
    RevocationError,
)
from trails.verify.trust import TrustPolicy

MAX_DEPTH = 4
# CRL extensions we understand; a CRL with any other critical extension is refused
# (RFC 5280 §5.2: a CRL user must not use a CRL with an unknown critical extension).
_KNOWN_CRL_EXTENSIONS = {
    x509.oid.ExtensionOID.CRL_NUMBER,
    x509.oid.ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
}

_CA_POLICY = ExtensionPolicy.webpki_defaults_ca().may_be_present(
    x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None
)
_EE_POLICY = (
    ExtensionPolicy.webpki_defaults_ee()
    .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
)


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def build_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    policy: TrustPolicy,
    now: datetime,
) -> list[x509.Certificate]:
    """The validated path [leaf, ..., root]; ``ChainError`` or ``CertificateExpiredError``."""
    if not policy.roots:
        raise ChainError("no trusted roots are configured; pin the trails root CA")
    builder = (
        PolicyBuilder()
        .store(Store(list(policy.roots)))
        .time(now)
        .max_chain_depth(MAX_DEPTH)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
    )
    try:
        return list(builder.build_client_verifier().verify(leaf, list(intermediates)).chain)
    except (PathError, ValueError) as exc:
        for cert in (leaf, *intermediates):
            if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
                error = CertificateExpiredError(
                    f"certificate {_name(cert)} is valid only from "
                    f"{cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to "
                    f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}; re-sign with a current "
                    "signer certificate (or fix the host clock)"
                )
                if now < cert.not_valid_before_utc:
                    error.not_yet_valid = cert.not_valid_before_utc
                raise error from None
        reason = str(exc).split(" (encountered", 1)[0]
        raise ChainError(
            f"signer {_name(leaf)} does not chain to a pinned root ({reason}); ship the "
            "intermediate in x5c and pin the right root"
        ) from None


def check_eku(chain: Sequence[x509.Certificate], eku: x509.ObjectIdentifier) -> None:
    """The leaf names ``eku`` itself (anyExtendedKeyUsage does not count); a CA that
    restricts its EKUs must allow it (or anyExtendedKeyUsage)."""
    leaf = chain[0]
    leaf_ekus = extended_key_usages(leaf) or ()
    if eku not in leaf_ekus:
        raise EkuError(
            f"signer {_name(leaf)} lacks the extended key usage {eku.dotted_string}; "
            "issue it with `trails pki issue-signer` or the openssl profile in docs/pki.md"
        )
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            raise EkuError(f"signer {_name(leaf)} key usage lacks digitalSignature; reissue it")
    except x509.ExtensionNotFound:
        pass
    for ca in chain[1:]:
        ca_ekus = extended_key_usages(ca)
        if ca_ekus is not None and not {eku, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE} & set(
            ca_ekus
        ):
            raise EkuError(
                f"CA {_name(ca)} restricts its extended key usages and does not allow "
                f"{eku.dotted_string}; issue signers from a CA that does"
            )


def _crl_usable(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Does ``crl`` verify with ``issuer``'s key? A CRL that does not is no evidence
    either way (another key of a same-named CA, or forged) and is not used."""
    if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        return False
    for ext in crl.extensions:
        if ext.critical and ext.oid not in _KNOWN_CRL_EXTENSIONS:
            raise CrlError(
                f"CRL of {crl.issuer.rfc4514_string()} has an unknown critical extension "
                f"{ext.oid.dotted_string}; publish a full CRL"
            )
    return True


def check_revocation(chain: Sequence[x509.Certificate], policy: TrustPolicy, now: datetime) -> None:
    """No certificate below the root is revoked by a CRL that verifies against its issuer.

    Revocations in a verified CRL count even once it is past nextUpdate (revocation is
    permanent). With ``policy.require_crl`` every certificate below the root also needs
    a current (thisUpdate <= now < nextUpdate), verified CRL from its issuer.
    """
    for cert, issuer in itertools.pairwise(chain):
        current = False
        unverified = 0
        for crl in policy.crls:
            if crl.issuer != cert.issuer:
                continue
            if not _crl_usable(crl, issuer):
                unverified += 1
                continue
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                raise RevocationError(
                    f"certificate {_name(cert)} (serial {cert.serial_number:x}) is revoked by "
                    f"its CA; re-sign with a valid signer certificate"
                )
            next_update = crl.next_update_utc
            if next_update is not None and crl.last_update_utc <= now < next_update:
                current = True
        if policy.require_crl and not current:
            issuer_name = cert.issuer.rfc4514_string()
            if unverified:
                raise CrlError(
                    f"the CRL claiming issuer {issuer_name} does not verify with that CA's key "
                    "and a current CRL is required; fetch the CRL again from the CA"
                )
            raise CrlError(
                f"no current CRL from {issuer_name}, and one is required; publish a fresh "
                "CRL with `trails pki crl` or check the host clock"
            )
