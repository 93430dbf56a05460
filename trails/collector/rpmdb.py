"""A real RPM database for a host state, written by the real ``rpm``.

RPM fixtures used to be rows shaped like osquery's ``rpm_packages``. A host state's
``rpms`` are instead built as empty packages by ``rpmbuild`` and registered with
``rpm --justdb`` in the root's ``/var/lib/rpm``, which the collector then reads as it
reads any host's. Building and registering cost most of a second, so each set of
packages is written once per process and copied into every root that has it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from trails.errors import UsageError

DBPATH = "var/lib/rpm"
TIMEOUT_SECONDS = 120
_CACHE = Path(tempfile.gettempdir()) / "trails-rpmdb-cache"
_SPEC = """Name: {name}
Version: {version}
Release: {release}
{epoch}Summary: trails host-state package
License: none
BuildArch: {arch}
%description
A package record for a trails host state (no files).
%files
"""


def write_rpmdb(root: Path, rpms: Sequence[Mapping[str, str | int]]) -> None:
    """Register ``rpms`` (name, version, release, arch, optional epoch) in ``root``."""
    packages = sorted(
        (
            str(p["name"]),
            str(p["version"]),
            str(p["release"]),
            str(p.get("arch", "noarch")),
            str(p.get("epoch", "")),
        )
        for p in rpms
    )
    key = hashlib.sha256(json.dumps(packages).encode()).hexdigest()[:32]
    cached = _CACHE / key / DBPATH
    if not cached.is_dir():
        _build(_CACHE / key, packages)
    target = root / DBPATH
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(cached, target)


def _run(argv: list[str]) -> None:
    tool = shutil.which(argv[0])
    if tool is None:
        raise UsageError(f"{argv[0]} is not installed: apt-get install rpm")
    done = subprocess.run(
        [tool, *argv[1:]], capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    if done.returncode != 0:
        raise UsageError(f"{argv[0]} failed: {' '.join(done.stderr.split())[:300]}")


def _build(where: Path, packages: list[tuple[str, str, str, str, str]]) -> None:
    work = Path(tempfile.mkdtemp(prefix="build-", dir=_CACHE.parent))
    try:
        built: list[str] = []
        for name, version, release, arch, epoch in packages:
            spec = work / f"{name}.spec"
            spec.write_text(
                _SPEC.format(
                    name=name,
                    version=version,
                    release=release,
                    arch=arch,
                    epoch=f"Epoch: {epoch}\n" if epoch else "",
                )
            )
            _run(
                [
                    "rpmbuild", "-bb", "--quiet", "--target", arch,
                    "--define", f"_topdir {work / 'top'}", "--define", f"_rpmdir {work / 'rpms'}",
                    str(spec),
                ]
            )  # fmt: skip
            built.extend(str(p) for p in (work / "rpms").rglob(f"{name}-{version}-*.rpm"))
        root = work / "root"
        rpm = ["rpm", "--root", str(root), "--dbpath", "/" + DBPATH]
        _run([*rpm, "--initdb"])
        if built:
            _run([*rpm, "-i", "--justdb", "--nodeps", "--noscripts", "--notriggers",
                  "--ignorearch", "--ignoreos", *sorted(set(built))])  # fmt: skip
        staged = work / "staged"
        shutil.copytree(root / DBPATH, staged / DBPATH)
        where.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(where)  # whole or not at all, if two processes build one set
    except OSError:
        if not where.is_dir():
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
