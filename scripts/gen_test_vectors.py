#!/usr/bin/env python3
"""Generate the PKI, envelope and malformed X.509 test vectors under tests/vectors/.

    .venv/bin/python scripts/gen_test_vectors.py [--out tests/vectors]

Every vector is made here so it can be regenerated (keys are random; the reference
time is fixed). ``index.json`` lists each envelope case with the trust policy,
expected namespace and stored state to verify it under, and the check that must
refuse it (or null when it must verify). Regression vectors are named
``regress-<bug>``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID

from trails.formats.algorithms import SigningKey, generate_key, sign_bytes
from trails.formats.dsse import b64, encode_envelope, pae
from trails.formats.manifest import PAYLOAD_TYPE, FileEntry, Manifest
from trails.formats.oids import EKU_CONFIG_SIGNING, NAMESPACE_EXTENSION
from trails.models.canonical import canonical_json
from trails.sign import pki
from trails.sign.keys import key_to_pem
from trails.sign.signer import Signer

REFERENCE_TIME = datetime(2026, 6, 1, tzinfo=UTC)
CA_FROM = datetime(2026, 1, 1, tzinfo=UTC)
NAMESPACE = "linux/pci"
DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM
FILES = {
    "osquery.conf": b'{\n  "schedule": {}\n}\n',
    "audit.rules": b"-w /etc/passwd -p wa -k trails-identity\n",
}


def pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(PEM) for c in certs)


def manifest(
    namespace: str = NAMESPACE,
    version: int = 20260501000000,
    expires: datetime = REFERENCE_TIME + timedelta(days=30),
    files: dict[str, bytes] | None = None,
) -> Manifest:
    files = FILES if files is None else files
    return Manifest(
        namespace=namespace,
        version=version,
        config_version="20260501000000-abcdef1",
        created=datetime(2026, 5, 1, tzinfo=UTC),
        expires=expires,
        source_repo="https://git.example.com/policy.git",
        source_commit="abcdef1234567890abcdef1234567890abcdef12",
        tags={"org": "example", "owner": "secops", "owner_group": "sec", "project": "trails"},
        files={
            n: FileEntry(sha256=hashlib.sha256(d).hexdigest(), size=len(d))
            for n, d in files.items()
        },
    )


class Vectors:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.cases: list[dict[str, Any]] = []
        self.root_key = generate_key("p256")
        self.root = pki.make_root(
            self.root_key, pki.name("trails test root", "trails"), CA_FROM, 3650
        )
        self.int_key = generate_key("p256")
        self.inter = pki.make_intermediate(
            self.root_key,
            self.root,
            self.int_key.public_key(),
            pki.name("trails test intermediate", "trails"),
            now=CA_FROM,
            days=3000,
        )

    def write(self, rel: str, data: bytes) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def signer_cert(
        self,
        key: SigningKey,
        cn: str,
        *,
        namespaces: tuple[str, ...] = ("linux/*",),
        purpose: str = "config",
        start: datetime = CA_FROM,
        days: int = 1000,
        issuer: tuple[PrivateKeyTypes, x509.Certificate] | None = None,
    ) -> x509.Certificate:
        ikey, icert = issuer or (self.int_key, self.inter)
        return pki.make_signer(
            ikey,
            icert,
            key.public_key(),
            pki.name(cn, "trails"),
            now=start,
            days=days,
            namespaces=namespaces,
            purpose=purpose,
        )

    def custom_leaf(
        self,
        key: SigningKey,
        cn: str,
        extend: Callable[[x509.CertificateBuilder], x509.CertificateBuilder],
    ) -> x509.Certificate:
        """A leaf outside the profile, signed by the intermediate (malformed X.509 vectors)."""
        ski = self.inter.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = (
            x509.CertificateBuilder()
            .subject_name(pki.name(cn, "trails"))
            .issuer_name(self.inter.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(CA_FROM)
            .not_valid_after(CA_FROM + timedelta(days=1000))
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
            )
        )
        return pki._sign_cert(extend(builder), self.int_key)

    def case(self, name: str, envelope: bytes, check: str | None, **kw: Any) -> None:
        self.write(f"envelopes/{name}.dsse.json", envelope)
        entry = {"name": name, "check": check, "namespace": NAMESPACE, "state": None, "crl": None}
        entry.update(kw)
        self.cases.append(entry)


def leaf_profile(builder: x509.CertificateBuilder, *, ca: bool = False) -> x509.CertificateBuilder:
    return builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)


def raw_envelope(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2).encode()


def generate(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    v = Vectors(out)
    v.write("pki/root.pem", pem([v.root]))
    v.write("pki/intermediate.pem", pem([v.inter]))
    v.write("pki/intermediate.key.pem", key_to_pem(v.int_key, None))
    other_key = generate_key("p256")
    other_root = pki.make_root(other_key, pki.name("untrusted root"), CA_FROM, 3650)
    v.write("pki/other-root.pem", pem([other_root]))
    for f, data in FILES.items():
        v.write(f"release/{f}", data)
    good = manifest()
    payload = good.to_bytes()
    v.write("release/manifest.json", payload)

    # Good signers, one per algorithm of docs/design.md §4.
    signers: dict[str, Signer] = {}
    keys: dict[str, PrivateKeyTypes] = {}
    for kind in ("p256", "p384", "ed25519", "rsa3072"):
        key = generate_key(kind)
        cert = v.signer_cert(key, f"signer {kind}")
        keys[kind] = key
        signers[kind] = Signer(key, (cert, v.inter))
        v.write(f"pki/signer-{kind}.key.pem", key_to_pem(key, None))
        v.write(f"pki/signer-{kind}.chain.pem", pem([cert, v.inter]))
        v.case(f"good-{kind}", signers[kind].sign(payload, PAYLOAD_TYPE), None)
    s = signers["p256"]
    good_env = s.sign(payload, PAYLOAD_TYPE)
    doc = json.loads(good_env)

    def mutate(**changes: Any) -> bytes:
        d = json.loads(good_env)
        d.update(changes)
        return raw_envelope(d)

    # Check 1 (size) is tested by padding a good envelope: 1 MiB does not belong in git.
    # Check 2: envelope form.
    sig0 = doc["signatures"][0]
    v.case("two-signatures", mutate(signatures=[sig0, sig0]), "envelope")
    v.case("no-signatures", mutate(signatures=[]), "envelope")
    v.case("unknown-payload-type", mutate(payloadType="application/json"), "envelope")
    v.case("not-json", b"\x00garbage", "envelope")
    dup = good_env.replace(b'"payloadType"', b'"payloadType": "x",\n  "payloadType"', 1)
    v.case("duplicate-keys", dup, "envelope")
    v.case("root-in-x5c", mutate(x5c=[*doc["x5c"], b64(v.root.public_bytes(DER))]), "envelope")
    v.case(
        "keyid-mismatch", mutate(signatures=[{"keyid": "00" * 32, "sig": sig0["sig"]}]), "envelope"
    )
    v.case("x5c-garbage", mutate(x5c=[b64(b"not a certificate")]), "envelope")
    # Check 3: chain, EKU, revocation.
    v.case("missing-intermediate", mutate(x5c=doc["x5c"][:1]), "chain")
    o_int_key = generate_key("p256")
    o_int = pki.make_intermediate(
        other_key,
        other_root,
        o_int_key.public_key(),
        pki.name("untrusted int"),
        now=CA_FROM,
        days=3000,
    )
    k = generate_key("p256")
    untrusted = Signer(k, (v.signer_cert(k, "untrusted signer", issuer=(o_int_key, o_int)), o_int))
    v.case("untrusted-root", untrusted.sign(payload, PAYLOAD_TYPE), "chain")

    def with_leaf(
        name: str, cert: x509.Certificate, key: PrivateKeyTypes, check: str | None, **kw: Any
    ) -> None:
        # Signed without the Signer class, which refuses some of these certificates itself.
        signature = sign_bytes(key, pae(PAYLOAD_TYPE, payload))
        ders = [cert.public_bytes(DER), v.inter.public_bytes(DER)]
        v.case(name, encode_envelope(PAYLOAD_TYPE, payload, signature, ders), check, **kw)

    k = generate_key("p256")
    tls = v.custom_leaf(
        k,
        "www.example.com",
        lambda b: (
            leaf_profile(b)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName("www.example.com")]), critical=False
            )
        ),
    )
    with_leaf("tls-server-signer", tls, k, "eku")
    k = generate_key("p256")
    with_leaf("no-eku", v.custom_leaf(k, "no eku", leaf_profile), k, "eku")
    k = generate_key("p256")
    any_eku = v.custom_leaf(
        k,
        "any eku",
        lambda b: leaf_profile(b).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]), critical=False
        ),
    )
    with_leaf("any-eku-signer", any_eku, k, "eku")
    k = generate_key("p256")
    with_leaf(
        "report-signer",
        v.signer_cert(k, "report signer", purpose="report", namespaces=()),
        k,
        "eku",
    )
    k = generate_key("p256")
    leaf_ca = v.custom_leaf(
        k,
        "leaf that is a CA",
        lambda b: leaf_profile(b, ca=True).add_extension(
            x509.ExtendedKeyUsage([EKU_CONFIG_SIGNING]), critical=False
        ),
    )
    with_leaf("leaf-is-ca", leaf_ca, k, "chain")
    k = generate_key("p256")
    no_ds = v.custom_leaf(
        k,
        "key usage without digitalSignature",
        lambda b: (
            leaf_profile(b)
            .add_extension(x509.ExtendedKeyUsage([EKU_CONFIG_SIGNING]), critical=False)
            .add_extension(
                x509.KeyUsage(False, True, False, False, False, False, False, False, False),
                critical=True,
            )
        ),
    )
    with_leaf("keyusage-without-digital-signature", no_ds, k, "eku")
    tls_ca_key = generate_key("p256")
    ski = v.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    tls_ca = pki._sign_cert(
        x509.CertificateBuilder()
        .subject_name(pki.name("TLS-only intermediate", "trails"))
        .issuer_name(v.root.subject)
        .public_key(tls_ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(CA_FROM)
        .not_valid_after(CA_FROM + timedelta(days=3000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(tls_ca_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        ),
        v.root_key,
    )
    k = generate_key("p256")
    under_tls_ca = Signer(
        k, (v.signer_cert(k, "signer under TLS CA", issuer=(tls_ca_key, tls_ca)), tls_ca)
    )
    v.case("ca-eku-excludes-trails", under_tls_ca.sign(payload, PAYLOAD_TYPE), "eku")
    k = generate_key("p256")
    expired = v.signer_cert(k, "expired signer", days=30)
    with_leaf("expired-signer", expired, k, "certificate-expired")

    revoked_key = generate_key("p256")
    revoked = v.signer_cert(revoked_key, "revoked signer")
    with_leaf("revoked-signer", revoked, revoked_key, "revocation", crl="crl-good.pem")
    # The same good signer under each CRL variant.
    v.case("crl-good", good_env, None, crl="crl-good.pem")
    v.case("crl-required-missing", good_env, "crl", crl=None, require_crl=True)
    v.case("crl-stale-required", good_env, "crl", crl="crl-stale.pem", require_crl=True)
    v.case("crl-stale-optional", good_env, None, crl="crl-stale.pem")
    v.case(
        "crl-bad-signature-required", good_env, "crl", crl="crl-bad-signature.pem", require_crl=True
    )
    # A CRL that does not verify is no evidence either way; it is not used.
    v.case("crl-bad-signature-optional", good_env, None, crl="crl-bad-signature.pem")
    # Regression: a payloadType that is a JSON object once crashed a set membership test.
    v.case("regress-unhashable-payload-type", mutate(payloadType={"a": 1}), "envelope")
    v.case("crl-required-current", good_env, None, crl="crl-good.pem", require_crl=True)
    # A second intermediate, revoked by the root.
    int2_key = generate_key("p256")
    int2 = pki.make_intermediate(
        v.root_key,
        v.root,
        int2_key.public_key(),
        pki.name("revoked intermediate", "trails"),
        now=CA_FROM,
        days=3000,
    )
    k = generate_key("p256")
    under_int2 = Signer(
        k, (v.signer_cert(k, "signer under revoked int", issuer=(int2_key, int2)), int2)
    )
    v.case(
        "revoked-intermediate",
        under_int2.sign(payload, PAYLOAD_TYPE),
        "revocation",
        crl="crl-good.pem",
    )

    crl_at = REFERENCE_TIME - timedelta(days=1)
    root_crl = pki.make_crl(
        v.root_key, v.root, [pki.Revoked(int2.serial_number, crl_at)], now=crl_at, days=7, number=1
    )
    int_crl = pki.make_crl(
        v.int_key,
        v.inter,
        [pki.Revoked(revoked.serial_number, crl_at)],
        now=crl_at,
        days=7,
        number=1,
    )
    v.write("pki/crl-good.pem", root_crl.public_bytes(PEM) + int_crl.public_bytes(PEM))
    stale_at = REFERENCE_TIME - timedelta(days=30)
    stale = [
        pki.make_crl(v.root_key, v.root, [], now=stale_at, days=7, number=0),
        pki.make_crl(v.int_key, v.inter, [], now=stale_at, days=7, number=0),
    ]
    v.write("pki/crl-stale.pem", b"".join(c.public_bytes(PEM) for c in stale))
    impostor = pki.make_root(generate_key("p256"), v.inter.subject, CA_FROM, 3650)
    bad = pki.make_crl(other_key, impostor, [], now=crl_at, days=7, number=2)
    v.write("pki/crl-bad-signature.pem", bad.public_bytes(PEM))

    # Check 4: signature.
    forged = bytearray(base64.b64decode(sig0["sig"]))
    forged[-1] ^= 1
    v.case(
        "forged-signature",
        mutate(signatures=[{"keyid": sig0["keyid"], "sig": b64(bytes(forged))}]),
        "signature",
    )
    evil = manifest(files={**FILES, "audit.rules": b"-D\n"}).to_bytes()
    v.case("payload-modified", mutate(payload=b64(evil)), "signature")
    # Check 5: manifest and namespace.
    v.case("manifest-invalid", s.sign(b'{"schema": "nope"}', PAYLOAD_TYPE), "manifest")
    traversal = payload.replace(b'"audit.rules"', b'"../../etc/shadow"')
    v.case("path-traversal", s.sign(traversal, PAYLOAD_TYPE), "manifest")
    v.case(
        "other-namespace",
        s.sign(manifest(namespace="linux/web").to_bytes(), PAYLOAD_TYPE),
        "namespace",
    )
    k = generate_key("p256")
    with_leaf(
        "namespace-not-covered",
        v.signer_cert(k, "windows signer", namespaces=("windows/*",)),
        k,
        "namespace-scope",
    )
    k = generate_key("p256")
    no_ns = v.custom_leaf(
        k,
        "no namespace ext",
        lambda b: leaf_profile(b).add_extension(
            x509.ExtendedKeyUsage([EKU_CONFIG_SIGNING]), critical=False
        ),
    )
    with_leaf("no-namespace-extension", no_ns, k, "namespace-scope")
    k = generate_key("p256")
    bad_ns = v.custom_leaf(
        k,
        "garbage namespace ext",
        lambda b: (
            leaf_profile(b)
            .add_extension(x509.ExtendedKeyUsage([EKU_CONFIG_SIGNING]), critical=False)
            .add_extension(
                x509.UnrecognizedExtension(NAMESPACE_EXTENSION, b"\x30\x03\x0c\x05ab"),
                critical=False,
            )
        ),
    )
    with_leaf("malformed-namespace-extension", bad_ns, k, "namespace-scope")
    # Check 6: expiry (freeze).
    v.case(
        "expired-release",
        s.sign(manifest(expires=REFERENCE_TIME - timedelta(seconds=1)).to_bytes(), PAYLOAD_TYPE),
        "expired",
    )
    # Check 7: rollback and equivocation against a stored state.
    hashes_now = {n: hashlib.sha256(d).hexdigest() for n, d in FILES.items()}
    v.case(
        "rollback", good_env, "rollback", state={"version": good.version + 1, "files": hashes_now}
    )
    v.case(
        "equal-version-same-files",
        good_env,
        None,
        state={"version": good.version, "files": hashes_now},
    )
    changed = {**hashes_now, "audit.rules": "0" * 64}
    v.case(
        "equivocation", good_env, "equivocation", state={"version": good.version, "files": changed}
    )
    v.case("newer-version", good_env, None, state={"version": good.version - 1, "files": changed})
    # Regression: a hand-made envelope with a signature computed over the raw payload
    # instead of PAE must never verify.
    # Regression: a signed manifest with an impossible date escaped as ValueError (exit 5).
    bad_date = payload.replace(
        b'"created": "2026-05-01T00:00:00Z"', b'"created": "2026-13-01T00:00:00Z"'
    )
    if bad_date == payload:
        raise SystemExit("the manifest's created time moved; update this vector")
    v.case("regress-impossible-date", s.sign(bad_date, PAYLOAD_TYPE), "manifest")
    # Regression: lazily parsed certificate fields raised ValueError / InvalidVersion
    # (exit 5) instead of an envelope refusal.
    leaf_der = s.chain[0].public_bytes(DER)
    issuer_der = s.chain[0].issuer.public_bytes()
    broken = {
        "regress-x5c-invalid-version": leaf_der.replace(
            b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x07", 1
        ),
        "regress-x5c-bad-issuer-tag": leaf_der.replace(issuer_der, b"\x00" + issuer_der[1:], 1),
    }
    for bug, bad_leaf in broken.items():
        d = json.loads(good_env)
        d["x5c"][0] = b64(bad_leaf)
        d["signatures"][0]["keyid"] = hashlib.sha256(bad_leaf).hexdigest()
        v.case(bug, raw_envelope(d), "envelope")
    chain_der = [c.public_bytes(DER) for c in s.chain]
    no_pae = encode_envelope(PAYLOAD_TYPE, payload, sign_bytes(keys["p256"], payload), chain_der)
    v.case("regress-signature-without-pae", no_pae, "signature")

    index = {
        "reference_time": REFERENCE_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "roots": "pki/root.pem",
        "cases": v.cases,
    }
    v.write("index.json", canonical_json(index))
    print(f"wrote {len(v.cases)} envelope cases to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "vectors"
    )
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
