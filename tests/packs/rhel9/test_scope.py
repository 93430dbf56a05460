"""The CIS RHEL 9 pack covers CIS Red Hat Enterprise Linux 9 Benchmark v2.0.0 exactly.

The expected numbering and profiles are those of ComplianceAsCode's
products/rhel9/controls/cis_rhel9.yml (version 2.0.0). Codes: 1S1W = Level 1 Server and
Workstation, 2S2W = Level 2 both, 1S2W = Level 1 Server / Level 2 Workstation, 2S1W =
Level 2 Server / Level 1 Workstation, 1S / 2S = server profile only.
"""

from __future__ import annotations

from trails.packs.model import Control

from ..harness import catalog

PACK = catalog().pack("cis_rhel9")
FRAMEWORK = "cis-rhel-9"
PROFILE_CODES = {
    "1S1W": {("server", 1), ("workstation", 1)},
    "2S2W": {("server", 2), ("workstation", 2)},
    "1S2W": {("server", 1), ("workstation", 2)},
    "2S1W": {("server", 2), ("workstation", 1)},
    "1S": {("server", 1)},
    "2S": {("server", 2)},
}
SCOPE = """
    1.1.1.1 1S1W     1.1.1.2 1S1W     1.1.1.3 1S1W     1.1.1.4 1S1W     1.1.1.5 1S1W
    1.1.1.6 2S2W     1.1.1.7 2S2W     1.1.1.8 1S2W     1.1.1.9 1S2W     1.1.2.1.1 1S1W
    1.1.2.1.2 1S1W   1.1.2.1.3 1S1W   1.1.2.1.4 1S1W   1.1.2.2.1 1S1W   1.1.2.2.2 1S1W
    1.1.2.2.3 1S1W   1.1.2.2.4 1S1W   1.1.2.3.1 2S2W   1.1.2.3.2 1S1W   1.1.2.3.3 1S1W
    1.1.2.4.1 2S2W   1.1.2.4.2 1S1W   1.1.2.4.3 1S1W   1.1.2.5.1 2S2W   1.1.2.5.2 1S1W
    1.1.2.5.3 1S1W   1.1.2.5.4 1S1W   1.1.2.6.1 2S2W   1.1.2.6.2 1S1W   1.1.2.6.3 1S1W
    1.1.2.6.4 1S1W   1.1.2.7.1 2S2W   1.1.2.7.2 1S1W   1.1.2.7.3 1S1W   1.1.2.7.4 1S1W
    1.2.1.1 1S1W     1.2.1.2 1S1W     1.2.1.3 2S2W     1.2.1.4 1S1W     1.2.2.1 1S1W
    1.3.1.1 1S1W     1.3.1.2 1S1W     1.3.1.3 1S1W     1.3.1.4 1S1W     1.3.1.5 2S2W
    1.3.1.6 2S2W     1.3.1.7 1S1W     1.3.1.8 1S       1.4.1 1S1W       1.4.2 1S1W
    1.5.1 1S1W       1.5.2 1S1W       1.5.3 1S1W       1.5.4 1S1W       1.6.1 1S1W
    1.6.2 1S1W       1.6.3 1S1W       1.6.4 1S1W       1.6.5 1S1W       1.6.6 1S1W
    1.6.7 1S1W       1.7.1 1S1W       1.7.2 1S1W       1.7.3 1S1W       1.7.4 1S1W
    1.7.5 1S1W       1.7.6 1S1W       1.8.1 2S         1.8.2 1S1W       1.8.3 1S1W
    1.8.4 1S1W       1.8.5 1S1W       1.8.6 1S2W       1.8.7 1S2W       1.8.8 1S1W
    1.8.9 1S1W       1.8.10 1S1W      2.1.1 1S2W       2.1.2 1S2W       2.1.3 1S1W
    2.1.4 1S1W       2.1.5 1S1W       2.1.6 1S1W       2.1.7 1S1W       2.1.8 1S1W
    2.1.9 1S1W       2.1.10 1S1W      2.1.11 1S        2.1.12 1S1W      2.1.13 1S1W
    2.1.14 1S1W      2.1.15 1S1W      2.1.16 1S1W      2.1.17 1S1W      2.1.18 1S1W
    2.1.19 1S1W      2.1.20 2S        2.1.21 1S1W      2.1.22 1S1W      2.2.1 1S1W
    2.2.2 2S2W       2.2.3 1S1W       2.2.4 1S1W       2.2.5 1S1W       2.3.1 1S1W
    2.3.2 1S1W       2.3.3 1S1W       2.4.1.1 1S1W     2.4.1.2 1S1W     2.4.1.3 1S1W
    2.4.1.4 1S1W     2.4.1.5 1S1W     2.4.1.6 1S1W     2.4.1.7 1S1W     2.4.1.8 1S1W
    2.4.2.1 1S1W     3.1.1 1S1W       3.1.2 1S         3.1.3 1S2W       3.2.1 2S2W
    3.2.2 2S2W       3.2.3 2S2W       3.2.4 2S2W       3.3.1 1S1W       3.3.2 1S1W
    3.3.3 1S1W       3.3.4 1S1W       3.3.5 1S1W       3.3.6 1S1W       3.3.7 1S1W
    3.3.8 1S1W       3.3.9 1S1W       3.3.10 1S1W      3.3.11 1S1W      4.1.1 1S1W
    4.1.2 1S1W       4.2.1 1S1W       4.2.2 1S1W       4.3.1 1S1W       4.3.2 1S1W
    4.3.3 1S1W       4.3.4 1S1W       5.1.1 1S1W       5.1.2 1S1W       5.1.3 1S1W
    5.1.4 1S1W       5.1.5 1S1W       5.1.6 1S1W       5.1.7 1S1W       5.1.8 1S1W
    5.1.9 1S1W       5.1.10 2S1W      5.1.11 2S1W      5.1.12 1S1W      5.1.13 1S1W
    5.1.14 1S1W      5.1.15 1S1W      5.1.16 1S1W      5.1.17 1S1W      5.1.18 1S1W
    5.1.19 1S1W      5.1.20 1S1W      5.1.21 1S1W      5.1.22 1S1W      5.2.1 1S1W
    5.2.2 1S1W       5.2.3 1S1W       5.2.4 2S2W       5.2.5 1S1W       5.2.6 1S1W
    5.2.7 1S1W       5.3.1.1 1S1W     5.3.1.2 1S1W     5.3.1.3 1S1W     5.3.2.1 1S1W
    5.3.2.2 1S1W     5.3.2.3 1S1W     5.3.2.4 1S1W     5.3.2.5 1S1W     5.3.3.1.1 1S1W
    5.3.3.1.2 1S1W   5.3.3.1.3 2S2W   5.3.3.2.1 1S1W   5.3.3.2.2 1S1W   5.3.3.2.3 1S1W
    5.3.3.2.4 1S1W   5.3.3.2.5 1S1W   5.3.3.2.6 1S1W   5.3.3.2.7 1S1W   5.3.3.3.1 1S1W
    5.3.3.3.2 1S1W   5.3.3.3.3 1S1W   5.3.3.4.1 1S1W   5.3.3.4.2 1S1W   5.3.3.4.3 1S1W
    5.3.3.4.4 1S1W   5.4.1.1 1S1W     5.4.1.2 2S2W     5.4.1.3 1S1W     5.4.1.4 1S1W
    5.4.1.5 1S1W     5.4.1.6 1S1W     5.4.2.1 1S1W     5.4.2.2 1S1W     5.4.2.3 1S1W
    5.4.2.4 1S1W     5.4.2.5 1S1W     5.4.2.6 1S1W     5.4.2.7 1S1W     5.4.2.8 1S1W
    5.4.3.1 2S2W     5.4.3.2 1S1W     5.4.3.3 1S1W     6.1.1 1S1W       6.1.2 1S1W
    6.1.3 1S1W       6.2.1.1 1S1W     6.2.1.2 1S1W     6.2.1.3 1S1W     6.2.1.4 1S1W
    6.2.2.1.1 1S1W   6.2.2.1.2 1S1W   6.2.2.1.3 1S1W   6.2.2.1.4 1S1W   6.2.2.2 1S1W
    6.2.2.3 1S1W     6.2.2.4 1S1W     6.2.3.1 1S1W     6.2.3.2 1S1W     6.2.3.3 1S1W
    6.2.3.4 1S1W     6.2.3.5 1S1W     6.2.3.6 1S1W     6.2.3.7 1S1W     6.2.3.8 1S1W
    6.2.4.1 1S1W     6.3.1.1 2S2W     6.3.1.2 2S2W     6.3.1.3 2S2W     6.3.1.4 2S2W
    6.3.2.1 2S2W     6.3.2.2 2S2W     6.3.2.3 2S2W     6.3.2.4 2S2W     6.3.3.1 2S2W
    6.3.3.2 2S2W     6.3.3.3 2S2W     6.3.3.4 2S2W     6.3.3.5 2S2W     6.3.3.6 2S2W
    6.3.3.7 2S2W     6.3.3.8 2S2W     6.3.3.9 2S2W     6.3.3.10 2S2W    6.3.3.11 2S2W
    6.3.3.12 2S2W    6.3.3.13 2S2W    6.3.3.14 2S2W    6.3.3.15 2S2W    6.3.3.16 2S2W
    6.3.3.17 2S2W    6.3.3.18 2S2W    6.3.3.19 2S2W    6.3.3.20 2S2W    6.3.3.21 2S2W
    6.3.4.1 2S2W     6.3.4.2 2S2W     6.3.4.3 2S2W     6.3.4.4 2S2W     6.3.4.5 2S2W
    6.3.4.6 2S2W     6.3.4.7 2S2W     6.3.4.8 2S2W     6.3.4.9 2S2W     6.3.4.10 2S2W
    7.1.1 1S1W       7.1.2 1S1W       7.1.3 1S1W       7.1.4 1S1W       7.1.5 1S1W
    7.1.6 1S1W       7.1.7 1S1W       7.1.8 1S1W       7.1.9 1S1W       7.1.10 1S1W
    7.1.11 1S1W      7.1.12 1S1W      7.1.13 1S1W      7.1.14 2S2W      7.2.1 1S1W
    7.2.2 1S1W       7.2.3 1S1W       7.2.4 1S1W       7.2.5 1S1W       7.2.6 1S1W
    7.2.7 1S1W       7.2.8 1S1W       7.2.9 1S1W
"""
EXPECTED = dict(zip(SCOPE.split()[::2], SCOPE.split()[1::2], strict=True))


def _number(control: Control) -> str:
    (number,) = control.refs_for(FRAMEWORK)
    return number


def test_every_recommendation_once_with_its_profiles() -> None:
    numbers = [_number(c) for c in PACK.controls]
    assert len(numbers) == len(set(numbers)) == len(EXPECTED) == 298
    assert set(numbers) == set(EXPECTED)
    for control in PACK.controls:
        number = _number(control)
        assert control.id == f"cis-rhel9-{number}"
        assert set(control.profiles) == PROFILE_CODES[EXPECTED[number]], number


def test_at_least_sixty_percent_automated_and_manual_ones_say_why() -> None:
    automated = [c for c in PACK.controls if c.automated]
    manual = [c for c in PACK.controls if c.check is None]
    assert len(automated) + len(manual) == len(PACK.controls)
    assert len(automated) / len(PACK.controls) >= 0.6
    for control in manual:
        assert control.manual, control.id
        assert len(control.manual) > 30, control.id


def test_titles_are_unique_and_every_control_maps_somewhere_in_pci() -> None:
    titles = [c.title for c in PACK.controls]
    assert len(titles) == len(set(titles))
    assert all(c.refs_for("pci-dss-4.0.1") for c in PACK.controls)
