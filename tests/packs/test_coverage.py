"""docs/coverage.md is generated from the packs and must be up to date."""

from __future__ import annotations

from trails.packs.coverage import coverage_markdown, tables_read

from .harness import PACKS_DIR, REPO, catalog

CATALOG = catalog()


def test_coverage_doc_is_current() -> None:
    expected = coverage_markdown(CATALOG, PACKS_DIR)
    actual = (REPO / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/coverage.md is stale: run scripts/gen_coverage.py"


def test_every_cis_pack_is_at_least_60_percent_automated() -> None:
    text = (REPO / "docs" / "coverage.md").read_text(encoding="utf-8")
    for pack in CATALOG.packs:
        if pack.framework.startswith("cis-"):
            automated = sum(c.automated for c in pack.controls)
            assert automated >= 0.6 * len(pack.controls), pack.id
            assert f"**{automated} automated" in text


def test_tables_read() -> None:
    pack = CATALOG.pack("cis_ubuntu_22_04")
    by_id = {c.id: c for c in pack.controls}
    assert tables_read(by_id["cis-ubuntu2204-1.1.1.1"], pack, PACKS_DIR) == (
        "augeas",
        "file",
        "kernel_modules",
    )
    assert tables_read(by_id["cis-ubuntu2204-6.3.3.4"], pack, PACKS_DIR) == (
        "trails_audit_rules",
        "trails_status",  # the snapshot's age, and whether auditing is on
    )


def test_pci_map_lists_every_requirement_in_scope() -> None:
    ids = {r.id for r in CATALOG.requirements("pci-dss-4.0.1")}
    wanted = {"2.2.1", "2.2.7", "5.2.1", "5.3.5", "6.3.3", "8.2.1", "8.3.11", "10.2.1.7", "10.7.3"}
    wanted |= {"10.3.4", "10.4.3", "10.5.1", "10.6.3", "11.5.2"}
    assert wanted <= ids
    for req in CATALOG.requirements("pci-dss-4.0.1"):
        assert req.title
        assert req.control_ids or req.manual_evidence, (
            f"{req.id} has neither controls nor evidence note"
        )
