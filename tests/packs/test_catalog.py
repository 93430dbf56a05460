from __future__ import annotations

from pathlib import Path

import pytest

from trails.errors import SourceError
from trails.packs import load_catalog

from .conftest import PackFactory

PCI = """\
kind: pack
id: pci
framework: pci-dss-4.0.1
title: PCI DSS
version: 4.0.1
platforms: [linux]
requirements:
  - {id: 2.2.6, title: System security parameters are configured to prevent misuse}
  - id: 10.7.2
    title: Failures of critical security controls are detected
    manual_evidence: Alerting runbooks.
"""


def _with_pci(packs: Path, text: str = PCI) -> Path:
    (packs / "pci").mkdir()
    (packs / "pci" / "pack.yaml").write_text(text)
    return packs


def test_requirements_for_cis_and_pci(make_pack: PackFactory) -> None:
    catalog = load_catalog(_with_pci(make_pack()))
    assert [p.id for p in catalog.packs] == ["demo", "pci"]
    cis = catalog.requirements("cis-demo")
    assert [(r.id, r.control_ids) for r in cis] == [
        ("1", ("demo-1",)),
        ("2", ("demo-2",)),
        ("3", ("demo-3",)),
    ]
    assert cis[2].manual_evidence == "Needs a person."
    pci = catalog.requirements("pci-dss-4.0.1")
    assert [(r.id, r.control_ids, r.manual_evidence) for r in pci] == [
        ("2.2.6", ("demo-1",), ""),
        ("10.7.2", (), "Alerting runbooks."),
    ]
    assert catalog.frameworks() == ("cis-demo", "pci-dss-4.0.1")
    assert catalog.control("demo-2").title == "Audit the clock"
    assert catalog.pack("pci").framework == "pci-dss-4.0.1"
    with pytest.raises(KeyError):
        catalog.pack("absent")


def test_reference_to_undeclared_requirement_is_refused(make_pack: PackFactory) -> None:
    packs = _with_pci(make_pack(), PCI.replace("id: 2.2.6", "id: 2.2.7"))
    with pytest.raises(SourceError, match=r"has no requirement 2\.2\.6"):
        load_catalog(packs)


def test_same_control_in_two_packs_is_refused(make_pack: PackFactory) -> None:
    packs = make_pack()
    (packs / "copy").mkdir()
    (packs / "copy" / "controls").mkdir()
    (packs / "copy" / "pack.yaml").write_text(
        (packs / "demo" / "pack.yaml").read_text().replace("id: demo", "id: copy")
    )
    (packs / "copy" / "controls" / "a.yaml").write_text(
        (packs / "demo" / "controls" / "a.yaml").read_text()
    )
    with pytest.raises(SourceError, match="also defined"):
        load_catalog(packs)


def test_missing_packs_dir(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="packs directory not found"):
        load_catalog(tmp_path / "nope")
