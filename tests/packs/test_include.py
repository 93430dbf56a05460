from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trails.errors import SourceError, SourceLoc
from trails.models.evidence import control_query_name
from trails.packs import include
from trails.packs.audit import load_group

from .conftest import CONTROLS_YAML, PackFactory
from .harness import PACKS_DIR


def _names(packs: Path, params: dict[str, Any]) -> list[str]:
    return [q.name for q in include("demo", params, packs, platform="linux").queries]


def test_level_and_profile_select_controls(make_pack: PackFactory) -> None:
    packs = make_pack()
    assert _names(packs, {"level": 1}) == [control_query_name("demo-1")]
    assert _names(packs, {"level": 2}) == [control_query_name(c) for c in ("demo-1", "demo-2")]
    assert _names(packs, {"level": 1, "profile": "workstation"}) == [control_query_name("demo-2")]
    assert _names(packs, {}) == _names(packs, {"level": 2})


def test_frameworks_and_exclude(make_pack: PackFactory) -> None:
    packs = make_pack()
    assert _names(packs, {"frameworks": ["pci-dss-4.0.1"]}) == [control_query_name("demo-1")]
    assert _names(packs, {"exclude": ["demo-1"]}) == [control_query_name("demo-2")]


def test_fragment_shape(make_pack: PackFactory) -> None:
    packs = make_pack()
    frag = include(
        "demo", {"level": 2, "arch": "aarch64", "interval": 600}, packs, platform="linux"
    )
    assert frag.origin == "pack demo"
    query = frag.queries[1]
    assert query.snapshot is True
    assert query.interval == 600
    assert query.platform == "linux"
    assert query.loc.path.endswith("a.yaml")
    assert query.loc.line == 22
    assert query.description == "Audit the clock"
    assert [r.text for r in frag.audit_rules] == ["-w /etc/localtime -p wa -k time-change"]
    rule_loc = frag.audit_rules[0].loc
    assert rule_loc.path.endswith("audit/aarch64/time-change.rules")
    assert rule_loc.line == 3
    default = include("demo", {}, packs, platform="linux")
    assert default.queries[0].interval == 3600


def test_manual_and_unproven_controls_are_not_scheduled(make_pack: PackFactory) -> None:
    unproven = CONTROLS_YAML.replace("expect: pass", "expect: fail")
    packs = make_pack(controls_yaml=unproven)
    assert control_query_name("demo-1") not in _names(packs, {})
    assert control_query_name("demo-3") not in _names(packs, {})


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"levle": 1}, "unknown parameter 'levle'"),
        ({"level": 3}, "level must be 1 or 2"),
        ({"level": True}, "level must be 1 or 2"),
        ({"profile": "desktop"}, "profile must be one of"),
        ({"frameworks": "pci"}, "frameworks must be a list"),
        ({"exclude": "demo-1"}, "exclude must be a list"),
        ({"exclude": ["demo-9"]}, "unknown control 'demo-9'"),
        ({"arch": "riscv64"}, "arch must be one of"),
        ({"interval": 5}, "interval must be an integer"),
        ({"interval": "60"}, "interval must be an integer"),
    ],
)
def test_bad_params(make_pack: PackFactory, params: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError, match=message) as info:
        include("demo", params, make_pack(), platform="linux")
    assert info.value.loc.path.endswith("pack.yaml")


@pytest.mark.parametrize("ref", ["../demo", "Demo", "", "a/b", "demo\n"])
def test_bad_refs(make_pack: PackFactory, ref: str) -> None:
    with pytest.raises(SourceError, match="invalid pack reference"):
        include(ref, {}, make_pack(), platform="linux")


def test_unknown_pack_and_platform(make_pack: PackFactory) -> None:
    packs = make_pack()
    with pytest.raises(SourceError, match="not a pack"):
        include("nope", {}, packs, platform="linux")
    with pytest.raises(SourceError, match="not darwin"):
        include("demo", {}, packs, platform="darwin")


def test_missing_audit_group_names_the_control(make_pack: PackFactory) -> None:
    packs = make_pack()
    (packs / "audit" / "x86_64" / "time-change.rules").unlink()
    with pytest.raises(SourceError, match="group 'time-change' not found") as info:
        include("demo", {}, packs, platform="linux")
    assert info.value.loc.line == 22


def test_empty_audit_group(make_pack: PackFactory) -> None:
    packs = make_pack()
    (packs / "audit" / "x86_64" / "time-change.rules").write_text("# nothing\n")
    with pytest.raises(SourceError, match="holds no rule"):
        include("demo", {}, packs, platform="linux")


def test_bad_audit_group_files(make_pack: PackFactory) -> None:
    packs = make_pack()
    loc = SourceLoc("policy.yaml", 3)
    with pytest.raises(SourceError, match="unknown arch"):
        load_group(packs, "sparc", "time-change", used_at=loc)
    path = packs / "audit" / "x86_64" / "time-change.rules"
    path.write_bytes(b"-w /etc/\xff -p wa -k x\n")
    with pytest.raises(SourceError, match="not UTF-8"):
        load_group(packs, "x86_64", "time-change", used_at=loc)
    path.write_bytes(b"#" * (256 * 1024 + 1))
    with pytest.raises(SourceError, match="larger than"):
        load_group(packs, "x86_64", "time-change", used_at=loc)


def test_example_namespaces_from_the_real_packs() -> None:
    """The include lines docs and policies use: linux (CIS L1 server), linux/pci (L2 + PCI)."""
    packs = PACKS_DIR
    l1 = include("cis_ubuntu_22_04", {"level": 1, "profile": "server"}, packs, platform="linux")
    l2 = include("cis_ubuntu_22_04", {"level": 2, "profile": "server"}, packs, platform="linux")
    pci = include("pci_dss_4_0_1", {}, packs, platform="linux")
    arm = include("cis_ubuntu_22_04", {"level": 2, "arch": "aarch64"}, packs, platform="linux")
    assert 150 < len(l1.queries) < len(l2.queries)
    assert {q.name for q in l1.queries} < {q.name for q in l2.queries}
    assert l1.audit_rules == ()  # CIS puts every audit rule at level 2
    assert len(l2.audit_rules) > 40
    assert all(r.loc.path.endswith(".rules") and r.loc.line > 1 for r in l2.audit_rules)
    assert len({r.text for r in l2.audit_rules}) == len(l2.audit_rules)
    assert [r.text for r in arm.audit_rules] != [r.text for r in l2.audit_rules]
    assert len(pci.queries) == 4
    assert {r.text for r in pci.audit_rules}.isdisjoint({r.text for r in l2.audit_rules})
    names = [q.name for q in (*l2.queries, *pci.queries)]
    assert len(names) == len(set(names))
