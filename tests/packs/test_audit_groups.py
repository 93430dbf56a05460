"""The audit rule groups: valid for their arch, already in `auditctl -l` form, and (on a
root x86_64 host) listed by the real kernel exactly as written.

The kernel refuses a watch whose parent directory does not exist, and the RHEL groups watch
paths a Debian runner lacks (``/etc/sysconfig/...``). Such a rule is first shown to be refused
for exactly that reason, then loaded with its path moved under a temporary directory, so its
listing form is still compared; the test warns how many rules it moved."""

from __future__ import annotations

import os
import platform
import re
import shlex
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import trails.audit_rules as ar
from trails.packs.audit import ARCHES, AUDIT_DIR

from .harness import PACKS_DIR, catalog

GROUP_FILES = [
    (arch, f) for arch in ARCHES for f in sorted((PACKS_DIR / AUDIT_DIR / arch).glob("*.rules"))
]
_KEY = re.compile(r"(-k |-F key=)(\S+)$")
_WATCHED = re.compile(r"(-w |-F path=)(/\S+)")
_NO_PARENT = "(No such file or directory)"


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(("arch", "path"), GROUP_FILES, ids=lambda v: str(getattr(v, "name", v)))
def test_group_validates_and_is_in_listing_form(arch: str, path: Path) -> None:
    result = ar.check(path.read_text(), str(path), arch=arch)
    assert [str(d) for d in result.diagnostics] == []
    assert [ar.normalise(rule, arch=arch) for rule in result.rules] == _lines(path)


def test_both_arches_have_the_same_groups_and_every_used_group_exists() -> None:
    names = {arch: {p.stem for a, p in GROUP_FILES if a == arch} for arch in ARCHES}
    assert names["x86_64"] == names["aarch64"]
    used = {g for c in catalog().controls.values() for g in c.audit_rules}
    assert used <= names["x86_64"]


def _auditctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["auditctl", *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture
def test_key() -> Iterator[str]:
    key = f"trails-test-{uuid.uuid4()}"
    yield key
    for line in _auditctl("-l").stdout.splitlines():
        if key in line:  # delete exactly our own rules, one by one
            delete = "-d" + line[2:] if line.startswith("-a ") else "-W" + line[2:]
            _auditctl(*shlex.split(delete))


def _here(rule: str, root: Path) -> str:
    """``rule`` as this host can load it: a watched path whose parent directory is missing
    here moves under ``root`` (its parent created); any other rule is unchanged."""
    match = _WATCHED.search(rule)
    if match is None or Path(match.group(2)).parent.is_dir():
        return rule
    moved = root / match.group(2).lstrip("/")
    moved.parent.mkdir(parents=True, exist_ok=True)
    return rule[: match.start(2)] + str(moved) + rule[match.end(2) :]


@pytest.mark.kernel
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("auditctl") is None or platform.machine() != "x86_64",
    reason="needs root, auditctl and an x86_64 kernel",
)
@pytest.mark.parametrize("path", [p for a, p in GROUP_FILES if a == "x86_64"], ids=lambda p: p.stem)
def test_kernel_lists_x86_64_rules_exactly_as_written(
    path: Path, test_key: str, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    expected = []
    for line in _lines(path):
        rule = _KEY.sub(lambda m: m.group(1) + test_key, line)
        here = _here(rule, tmp_path)
        if here != rule:  # refused as written, and only because the parent directory is missing
            refused = _auditctl(*shlex.split(rule))
            assert refused.returncode != 0, f"{rule}: loaded although its parent is missing"
            assert _NO_PARENT in refused.stderr, f"{rule}: {refused.stderr}"
        loaded = _auditctl(*shlex.split(here))
        assert loaded.returncode == 0, f"{here}: {loaded.stderr}"
        expected.append(here)
    moved = sum(str(tmp_path) in rule for rule in expected)
    record_property("rules_moved_under_tmp", moved)
    if moved:
        warnings.warn(f"{path.name}: {moved} rule(s) loaded under {tmp_path}", stacklevel=1)
    assert moved < len(expected), f"{path.name}: no rule loads at its own path on this host"
    listed = [line for line in _auditctl("-l").stdout.splitlines() if test_key in line]
    assert listed == expected
