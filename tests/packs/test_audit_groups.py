"""The audit rule groups: valid for their arch, already in `auditctl -l` form, and (on a
root x86_64 host) listed by the real kernel exactly as written."""

from __future__ import annotations

import os
import platform
import re
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import trails.audit_rules as ar
from trails.packs.audit import ARCHES, AUDIT_DIR

from .harness import PACKS_DIR, catalog

GROUP_FILES = [
    (arch, f) for arch in ARCHES for f in sorted((PACKS_DIR / AUDIT_DIR / arch).glob("*.rules"))
]
_KEY = re.compile(r"(-k |-F key=)(\S+)$")


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


@pytest.mark.kernel
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("auditctl") is None or platform.machine() != "x86_64",
    reason="needs root, auditctl and an x86_64 kernel",
)
@pytest.mark.parametrize("path", [p for a, p in GROUP_FILES if a == "x86_64"], ids=lambda p: p.stem)
def test_kernel_lists_x86_64_rules_exactly_as_written(path: Path, test_key: str) -> None:
    expected = [_KEY.sub(lambda m: m.group(1) + test_key, line) for line in _lines(path)]
    for rule in expected:
        loaded = _auditctl(*shlex.split(rule))
        assert loaded.returncode == 0, f"{rule}: {loaded.stderr}"
    listed = [line for line in _auditctl("-l").stdout.splitlines() if test_key in line]
    assert listed == expected
