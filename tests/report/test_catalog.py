from __future__ import annotations

from pathlib import Path

from trails.report.catalog import load_report_catalog

PACKS = Path(__file__).resolve().parents[2] / "cis_pci_packs"


def test_catalog_from_the_shipped_packs() -> None:
    catalog = load_report_catalog(PACKS)
    assert catalog.controls
    ids = [c.id for c in catalog.controls]
    assert ids == sorted(ids)
    manual = [c for c in catalog.controls if c.manual]
    assert manual
    assert all(c.manual_reason for c in manual)
    automated = next(c for c in catalog.controls if not c.manual)
    assert automated.refs
    assert automated.level.startswith("L")
    assert catalog.control(automated.id) is automated
    pci = [r for r in catalog.requirements if r.framework == "pci-dss-4.0.1"]
    assert pci
    assert any(r.manual_reason for r in pci)  # requirements whose evidence comes from elsewhere
    frameworks = {r.framework for r in catalog.requirements}
    assert {ref.framework for c in catalog.controls for ref in c.refs} <= frameworks
