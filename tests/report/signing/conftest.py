"""A throw-away PKI for report signing tests, made with trails' own PKI helpers at test time
(current dates, because the CLI verifies against the wall clock): a root, an intermediate,
a report signer (EKU .3), a config signer (EKU .1) and an unrelated root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.report.factories import example_report
from trails.formats.algorithms import generate_key
from trails.report.render import render
from trails.sign import pki
from trails.sign.keys import key_to_pem
from trails.sign.signer import Signer


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Pki:
    now: datetime
    root_pem: Path
    other_root_pem: Path
    report_key: Path
    report_chain: Path
    report_signer: Signer
    config_signer: Signer
    expired_signer: Signer
    crl_revoking_report_signer: bytes  # PEM CRL from the intermediate


@pytest.fixture(scope="session")
def report_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    out = tmp_path_factory.mktemp("pki")
    now = datetime.now(UTC).replace(microsecond=0)
    root_key = generate_key("p256")
    root = pki.make_root(root_key, pki.name("test root"), now - timedelta(days=10), 40)
    int_key = generate_key("p256")
    inter = pki.make_intermediate(
        root_key,
        root,
        int_key.public_key(),
        pki.name("test int"),
        now=now - timedelta(days=1),
        days=20,
    )

    def signer(purpose: str, start: datetime, days: int) -> tuple[Signer, bytes, bytes]:
        key = generate_key("p256")
        cert = pki.make_signer(
            int_key,
            inter,
            key.public_key(),
            pki.name(f"{purpose} signer", "Example"),
            now=start,
            days=days,
            namespaces=("linux/*",) if purpose == "config" else (),
            purpose=purpose,
        )
        return Signer(key, (cert, inter)), key_to_pem(key, None), _pem(cert) + _pem(inter)

    report_signer, key_pem, chain_pem = signer("report", now - timedelta(hours=1), 10)
    config_signer, _, _ = signer("config", now - timedelta(hours=1), 10)
    expired_signer, _, _ = signer("report", now - timedelta(days=5), 1)
    crl = pki.make_crl(
        int_key,
        inter,
        [pki.Revoked(report_signer.leaf.serial_number, now - timedelta(minutes=5))],
        now=now - timedelta(minutes=1),
        days=7,
        number=1,
    )
    other_key = generate_key("p256")
    other = pki.make_root(other_key, pki.name("other root"), now - timedelta(days=1), 30)
    paths = {
        "root.pem": _pem(root),
        "other-root.pem": _pem(other),
        "report.key.pem": key_pem,
        "report.chain.pem": chain_pem,
    }
    for name, data in paths.items():
        (out / name).write_bytes(data)
    return Pki(
        now=now,
        root_pem=out / "root.pem",
        other_root_pem=out / "other-root.pem",
        report_key=out / "report.key.pem",
        report_chain=out / "report.chain.pem",
        report_signer=report_signer,
        config_signer=config_signer,
        expired_signer=expired_signer,
        crl_revoking_report_signer=crl.public_bytes(serialization.Encoding.PEM),
    )


@pytest.fixture(scope="session")
def report_bytes() -> dict[str, bytes]:
    report = example_report()
    return {"report.pdf": render("pdf", report), "report.json": render("json", report)}


@pytest.fixture
def report_dir(tmp_path: Path, report_bytes: dict[str, bytes]) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in report_bytes.items():
        (out / name).write_bytes(data)
    return out
