"""Write docs/accuracy.md: evidence that the CIS packs' checks give the verdicts they should.

What the document proves, in three parts:

1. Sampled controls against references. 40 automated controls per CIS pack
   (cis_ubuntu_22_04, cis_rhel9), drawn with a fixed seed, each shown with the rules
   ComplianceAsCode maps to that CIS id (controls/cis_ubuntu2204.yml,
   products/rhel9/controls/cis_rhel9.yml), the ansible-lockdown task that remediates it
   (UBUNTU22-CIS / RHEL9-CIS tasks/section_*/cis_*.yml) and every host state the pack
   tries (its fixtures): the expected status next to the status the compiled query
   gives when the reference collector reads that host state. For the check kinds with
   one subject (kernel module, sysctl key, package, service, file) the subject is also
   looked up in CaC's rule ids.
2. This machine. ``trails check --json`` on / for both CIS packs: verdict counts, and
   for the Ubuntu pack (this is not Ubuntu 22.04) whether every control is
   ``not_applicable`` with the reason.
3. A real Debian root. debootstrap builds Debian 12 (bookworm, minbase plus
   openssh-server, libpam-modules, procps, kmod), its /etc/os-release is made Ubuntu
   22.04's, and for 20 controls that apply to Debian as well (sshd, sysctl, modprobe,
   permissions, PAM) hard-linked copies of it are mutated into a compliant and a
   non-compliant state by writing the files a hardening guide writes. ``trails check
   --root COPY --control ID --json`` gives the verdict. Under a root that is not /
   the runtime-only tables (system_controls, kernel_modules, ...) are empty, so a
   check reading them must say ``no_evidence``; for those the same copy is also
   evaluated with a runtime (/proc values as the files would leave them after boot).

Reproduce (root is needed for debootstrap; the root is cached, reruns take a minute or two)::

    make accuracy
    # or
    sudo .venv/bin/python scripts/gen_accuracy.py \\
        --cac /work/.mirror/ComplianceAsCode+content/repo \\
        --ubuntu-lockdown /work/.mirror/ansible-lockdown+UBUNTU22-CIS/repo \\
        --rhel-lockdown /work/.mirror/ansible-lockdown+RHEL9-CIS/repo

The reference repositories are git clones (a bare mirror is enough: they are read with
``git show HEAD:<path>``); the document names the commit of each. Nothing in the test
suite reads them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.packs.harness import run_fixture  # noqa: E402
from trails.check.reference import ReferenceEvaluator  # noqa: E402
from trails.check.run import Selection, evaluate  # noqa: E402
from trails.collector.hoststate import materialise  # noqa: E402
from trails.collector.interface import Host  # noqa: E402
from trails.packs import Catalog, load_catalog  # noqa: E402
from trails.packs.model import Control, Pack  # noqa: E402

SEED = 20251204
SAMPLE_SIZE = 40
CIS_PACKS = ("cis_ubuntu_22_04", "cis_rhel9")
UBUNTU = "cis_ubuntu_22_04"
DEBOOTSTRAP = (
    "debootstrap",
    "--variant=minbase",
    "--include=openssh-server,libpam-modules,procps,kmod",
    "bookworm",
)
MIRROR = "http://deb.debian.org/debian"
UBUNTU_OS_RELEASE = """\
PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
UBUNTU_CODENAME=jammy
"""
# Debian 12's kernel, where its modules would be (the minbase root has no kernel)
KERNEL = "6.1.0-28-amd64"

# where each pack's CIS id lives in the references
CAC_FILES = {
    "cis_ubuntu_22_04": ("controls/cis_ubuntu2204.yml",),
    "cis_rhel9": ("controls/cis_rhel9.yml", "products/rhel9/controls/cis_rhel9.yml"),
}
FRAMEWORKS = {"cis_ubuntu_22_04": "cis-ubuntu-22.04", "cis_rhel9": "cis-rhel-9"}


# --------------------------------------------------------------------------- helpers


def cis_key(cis_id: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in cis_id.split("."))


def cis_id(pack: Pack, control: Control) -> str:
    refs = control.refs_for(FRAMEWORKS[pack.id])
    return refs[0] if refs else control.id.rsplit("-", 1)[-1]


def md(text: object) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def git_commit(repo: Path) -> str:
    return git(repo, "log", "-1", "--format=%H (%cs)", "HEAD").strip()


# ------------------------------------------------------------------------ references


@dataclass(frozen=True)
class CacControl:
    title: str
    rules: tuple[str, ...]
    variables: tuple[str, ...]
    status: str


def load_cac(repo: Path, pack_id: str) -> tuple[str, dict[str, CacControl]]:
    """CIS id -> the CaC control (rules and variables), from the first file that exists."""
    names = set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines())
    path = next(p for p in CAC_FILES[pack_id] if p in names)
    data = yaml.safe_load(git(repo, "show", f"HEAD:{path}"))
    found: dict[str, CacControl] = {}

    def walk(items: Iterable[Mapping[str, Any]]) -> None:
        for item in items:
            rules = [str(r) for r in item.get("rules", []) or []]
            found.setdefault(
                str(item.get("id")),
                CacControl(
                    title=str(item.get("title", "")),
                    rules=tuple(r for r in rules if "=" not in r),
                    variables=tuple(r for r in rules if "=" in r),
                    status=str(item.get("status", "")),
                ),
            )
            walk(item.get("controls", []) or [])

    walk(data.get("controls", []))
    return path, found


_TASK_ID = re.compile(r"^\s*([0-9][0-9.]*(?:\s*,\s*[0-9][0-9.]*)*)\s*\|")


def load_lockdown(repo: Path) -> dict[str, str]:
    """CIS id -> the name of the first (outermost) task naming it, files in name order."""
    names = sorted(
        n
        for n in git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
        if re.fullmatch(r"tasks/section_[^/]+/cis_[^/]+\.ya?ml", n)
    )
    by_depth: list[dict[str, str]] = [{}, {}, {}, {}]

    def walk(tasks: object, depth: int) -> None:
        if not isinstance(tasks, list):
            return
        for task in tasks:
            if not isinstance(task, dict):
                continue
            match = _TASK_ID.match(str(task.get("name", "")))
            if match:
                for ident in re.split(r"\s*,\s*", match.group(1)):
                    by_depth[min(depth, 3)].setdefault(ident.strip("."), str(task["name"]))
            for key in ("block", "rescue", "always"):
                walk(task.get(key), depth + 1)

    for name in names:
        try:
            walk(yaml.safe_load(git(repo, "show", f"HEAD:{name}")), 0)
        except yaml.YAMLError:
            continue
    merged: dict[str, str] = {}
    for level in reversed(by_depth):
        merged.update(level)
    return merged


# The same subject under another name in CaC's rule ids (Debian package names, CaC's
# collective rules); each entry was checked by hand against the CaC rule.
ALIASES = {
    "gdm3": "gdm",
    "libpam-modules": "pam_modules",
    "libpam-runtime": "pam_runtime",
    "libpam-pwquality": "pam_pwquality",
    **{
        f"/usr/sbin/{tool}": "audit_binaries"
        for tool in ("auditctl", "aureport", "ausearch", "autrace", "auditd", "augenrules")
    },
}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def subjects(control: Control) -> list[str]:
    """What a single-subject check is about, to look up in CaC's rule ids."""
    check = control.check
    if check is None:
        return []
    spec = check.spec
    if check.kind == "kernel_module":
        return [str(spec)]
    if check.kind == "sysctl":
        return [str(k) for k in spec]
    if check.kind in ("packages_absent", "packages_present", "units_enabled"):
        return [str(s).removesuffix(".service") for s in spec]
    if check.kind == "service_not_in_use":
        return [str(s) for s in spec.get("packages", [])]
    if check.kind == "file":
        return [str(p) for p in spec.get("paths", [])]
    if check.kind == "config":
        return [str(spec.get("key", ""))]
    return []


def agreement(control: Control, rules: Sequence[str]) -> str:
    names = subjects(control)
    if not names:
        return "-"
    if not rules:
        return "no CaC rule"
    joined = " ".join(_norm(r) for r in rules)
    hits = [
        n
        for n in names
        if any(_norm(v) in joined for v in (n, n.split("/")[-1], ALIASES.get(n, n)))
    ]
    if len(hits) == len(names):
        return "yes"
    missing = ", ".join(n for n in names if n not in hits)
    return f"not in rule ids: {missing}"


# ------------------------------------------------------------------------ 1. samples


@dataclass
class FixtureRun:
    expect: str
    note: str
    actual: str


@dataclass
class Sampled:
    pack: Pack
    control: Control
    cis: str
    cac: CacControl | None
    lockdown: str
    runs: list[FixtureRun] = field(default_factory=list)

    @property
    def mismatches(self) -> list[FixtureRun]:
        return [r for r in self.runs if r.expect != r.actual]


def sample(pack: Pack) -> list[Control]:
    """40 automated controls: each control's rank comes from random.Random(SEED/id), so
    the draw does not shift when other controls are added, removed or reordered."""
    automated = [c for c in pack.controls if c.automated]
    ranked = sorted(automated, key=lambda c: (random.Random(f"{SEED}/{c.id}").random(), c.id))  # noqa: S311
    return ranked[:SAMPLE_SIZE]


def run_samples(
    catalog: Catalog,
    cac: Mapping[str, Mapping[str, CacControl]],
    lockdown: Mapping[str, Mapping[str, str]],
) -> list[Sampled]:
    out = []
    for pack_id in CIS_PACKS:
        pack = next(p for p in catalog.packs if p.id == pack_id)
        for control in sample(pack):
            ident = cis_id(pack, control)
            item = Sampled(pack, control, ident, cac[pack_id].get(ident), "")
            item.lockdown = str(lockdown[pack_id].get(ident, ""))
            for fixture in control.fixtures:
                try:
                    rows = run_fixture(pack, control, fixture)
                    actual = str(rows[0]["status"]) if len(rows) == 1 else f"{len(rows)} rows"
                except Exception as exc:
                    actual = f"error: {' '.join(str(exc).split())[:80]}"
                item.runs.append(FixtureRun(fixture.expect, fixture.note, actual))
            out.append(item)
    return sorted(out, key=lambda s: (CIS_PACKS.index(s.pack.id), cis_key(s.cis)))


# ------------------------------------------------------------------- 2. this machine


def trails_check(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "trails", "check", "--json", "--packs", str(PACKS), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError(" ".join(proc.stderr.split())[-300:] or "no output") from None
    return result


PACKS = ROOT / "cis_pci_packs"


# -------------------------------------------------------------------- 3. Debian root


@dataclass(frozen=True)
class Write:
    path: str
    content: str
    mode: int = 0o644


@dataclass(frozen=True)
class Directive:
    """Set ``key value`` as ansible's lineinfile does: the last line matching
    ``^#?\\s*key\\b`` is replaced, otherwise the line is appended."""

    path: str
    key: str
    value: str
    sep: str = " "


@dataclass(frozen=True)
class Chmod:
    path: str
    mode: int
    gid: int | None = None


@dataclass(frozen=True)
class Replace:
    path: str
    pattern: str
    repl: str


Edit = Write | Directive | Chmod | Replace


@dataclass(frozen=True)
class State:
    why: str
    edits: tuple[Edit, ...] = ()
    expect: str = "pass"  # under --root
    runtime: Mapping[str, Any] | None = None  # evaluated again with this runtime
    expect_runtime: str = ""


@dataclass(frozen=True)
class Case:
    control: str  # the CIS id in cis_ubuntu_22_04
    area: str
    compliant: State
    noncompliant: State


_RUNTIME_ONLY = (
    "no_evidence: system_controls and kernel_modules are runtime-only tables, empty "
    "under a root that is not /"
)


def _sysctl(
    good: Mapping[str, str], bad: Mapping[str, str], stock_bad: bool = False
) -> tuple[State, State]:
    """A sysctl.d file as CIS' remediation writes it; the running values are the file's."""
    conf = "/etc/sysctl.d/60-cis.conf"

    def text(values: Mapping[str, str]) -> str:
        return "".join(f"{k} = {v}\n" for k, v in values.items())

    def shown(values: Mapping[str, str]) -> str:
        return ", ".join(f"{k} = {v}" for k, v in values.items())

    return (
        State(
            f"{conf}: {shown(good)}; running the same",
            (Write(conf, text(good)),),
            "no_evidence",
            {"sysctl": dict(good)},
            "pass",
        ),
        State(
            f"stock Debian (nothing in /etc/sysctl.d); running {shown(bad)}"
            if stock_bad
            else f"{conf}: {shown(bad)}; running the same",
            () if stock_bad else (Write(conf, text(bad)),),
            "no_evidence",
            {"sysctl": dict(bad)},
            "fail",
        ),
    )


def _module(name: str, directory: str, partial: bool = False) -> tuple[State, State]:
    ko = Write(f"/lib/modules/{KERNEL}/kernel/{directory}/{name}.ko", "")
    conf = f"/etc/modprobe.d/{name}.conf"
    runtime = {"modules": ["ext4"]}
    return (
        State(
            f"{conf}: install {name} /bin/false, blacklist {name}",
            (ko, Write(conf, f"install {name} /bin/false\nblacklist {name}\n")),
            "no_evidence",
            runtime,
            "pass",
        ),
        State(
            f"{conf}: blacklist {name} only (modprobe still loads it on request)"
            if partial
            else "stock Debian: no modprobe.d entry",
            (ko, Write(conf, f"blacklist {name}\n")) if partial else (ko,),
            "no_evidence",
            runtime,
            "fail",
        ),
    )


SSHD = "/etc/ssh/sshd_config"


def _sshd(key: str, good: str, bad: str | None) -> tuple[State, State]:
    return (
        State(f"sshd_config: {key} {good}", (Directive(SSHD, key, good),)),
        State(
            f"sshd_config: {key} {bad}" if bad else f"stock Debian sshd_config ({key} not set)",
            (Directive(SSHD, key, bad),) if bad else (),
            "fail",
        ),
    )


def _pair(name: str, good: str, bad: str) -> tuple[dict[str, str], dict[str, str]]:
    return {name: good}, {name: bad}


def _case(control: str, area: str, states: tuple[State, State]) -> Case:
    return Case(control, area, *states)


CASES: tuple[Case, ...] = (
    _case(
        "5.1.1",
        "sshd",
        (
            State("chmod 600 sshd_config", (Chmod(SSHD, 0o600),)),
            State("stock Debian sshd_config (0644)", (), "fail"),
        ),
    ),
    _case("5.1.5", "sshd", _sshd("Banner", "/etc/issue.net", None)),
    _case("5.1.13", "sshd", _sshd("LoginGraceTime", "60", None)),
    _case("5.1.16", "sshd", _sshd("MaxAuthTries", "4", None)),
    _case(
        "5.1.17",
        "sshd",
        (
            State("stock Debian sshd_config (MaxSessions not set: sshd's default is 10)"),
            State("sshd_config: MaxSessions 20", (Directive(SSHD, "MaxSessions", "20"),), "fail"),
        ),
    ),
    _case("5.1.20", "sshd", _sshd("PermitRootLogin", "no", "yes")),
    _case(
        "5.1.22",
        "sshd",
        (
            State("stock Debian sshd_config (UsePAM yes)"),
            State("sshd_config: UsePAM no", (Directive(SSHD, "UsePAM", "no"),), "fail"),
        ),
    ),
    _case("1.5.1", "sysctl", _sysctl(*_pair("kernel.randomize_va_space", "2", "0"))),
    _case("1.5.2", "sysctl", _sysctl(*_pair("kernel.yama.ptrace_scope", "1", "0"), stock_bad=True)),
    _case(
        "3.3.1",
        "sysctl",
        _sysctl(
            {"net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "0"},
            {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "0"},
        ),
    ),
    _case("3.3.10", "sysctl", _sysctl(*_pair("net.ipv4.tcp_syncookies", "1", "0"))),
    _case("1.1.1.1", "modprobe", _module("cramfs", "fs/cramfs")),
    _case("1.1.1.8", "modprobe", _module("usb-storage", "drivers/usb/storage", partial=True)),
    _case("3.2.4", "modprobe", _module("sctp", "net/sctp")),
    _case(
        "7.1.1",
        "permissions",
        (
            State("stock Debian /etc/passwd (0644 root:root)"),
            State("chmod 666 /etc/passwd", (Chmod("/etc/passwd", 0o666),), "fail"),
        ),
    ),
    _case(
        "7.1.5",
        "permissions",
        (
            State("stock Debian /etc/shadow (0640 root:shadow)"),
            State("chmod 644 /etc/shadow", (Chmod("/etc/shadow", 0o644),), "fail"),
        ),
    ),
    _case(
        "7.1.7",
        "permissions",
        (
            State("stock Debian /etc/gshadow (0640 root:shadow)"),
            State("chgrp adm /etc/gshadow", (Chmod("/etc/gshadow", 0o640, gid=4),), "fail"),
        ),
    ),
    _case(
        "5.3.2.1",
        "PAM",
        (
            State("stock Debian common-* (pam-auth-update)"),
            State(
                "pam_unix line removed from common-session",
                (Replace("/etc/pam.d/common-session", r"(?m)^session\s.*pam_unix\.so.*\n", ""),),
                "fail",
            ),
        ),
    ),
    _case(
        "5.3.3.4.1",
        "PAM",
        (
            State(
                "nullok removed from common-auth",
                (Replace("/etc/pam.d/common-auth", r"(pam_unix\.so.*?) nullok", r"\1"),),
            ),
            State("stock Debian common-auth (pam_unix.so nullok)", (), "fail"),
        ),
    ),
    _case(
        "5.3.3.4.3",
        "PAM",
        (
            State("stock Debian common-password (pam_unix.so obscure yescrypt)"),
            State(
                "common-password: yescrypt replaced by md5",
                (Replace("/etc/pam.d/common-password", r"(pam_unix\.so.*?) yescrypt", r"\1 md5"),),
                "fail",
            ),
        ),
    ),
)


def _own(target: Path) -> None:
    """Give ``target`` its own inode (the copy is hard-linked to the cached root)."""
    if target.is_symlink() or not target.exists():
        if target.is_symlink():
            target.unlink()
        return
    stat = target.stat()
    fresh = target.with_name(f".{target.name}.trails-new")
    shutil.copy2(target, fresh)
    os.chown(fresh, stat.st_uid, stat.st_gid)
    os.replace(fresh, target)


def apply(root: Path, edit: Edit) -> None:
    target = root / edit.path.lstrip("/")
    if isinstance(edit, Write):
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        target.write_text(edit.content)
        os.chmod(target, edit.mode)
        return
    _own(target)
    if isinstance(edit, Chmod):
        os.chmod(target, edit.mode)
        if edit.gid is not None:
            os.chown(target, 0, edit.gid)
        return
    text = target.read_text()
    if isinstance(edit, Replace):
        changed = re.sub(edit.pattern, edit.repl, text)
        if changed == text:
            raise RuntimeError(f"{edit.path}: {edit.pattern!r} matched nothing")
        target.write_text(changed)
        return
    line = f"{edit.key}{edit.sep}{edit.value}"
    lines = text.splitlines()
    pattern = re.compile(rf"^#?\s*{re.escape(edit.key)}\b")
    hits = [i for i, existing in enumerate(lines) if pattern.match(existing)]
    if hits:
        lines[hits[-1]] = line
    else:
        lines.append(line)
    target.write_text("\n".join(lines) + "\n")


def build_root(cache: Path) -> Path:
    """The debootstrapped root, built once under ``cache`` (rebuilt if the command changed)."""
    root, stamp = cache / "root", cache / "root.stamp"
    command = [*DEBOOTSTRAP, str(cache / "building"), MIRROR]
    wanted = " ".join([*DEBOOTSTRAP, MIRROR])
    if root.is_dir() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return root
    if os.geteuid() != 0:
        raise SystemExit("building the Debian root needs root (debootstrap); run as root")
    if shutil.which("debootstrap") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=True)
    shutil.rmtree(cache / "building", ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    print("debootstrap: building the Debian root (a few minutes) ...", file=sys.stderr)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    (cache / "building").rename(root)
    stamp.write_text(wanted + "\n")
    return root


@dataclass
class RootRun:
    case: Case
    state: str  # compliant / non-compliant
    spec: State
    actual: str
    detail: str
    actual_runtime: str = ""

    @property
    def matched(self) -> bool:
        return self.actual == self.spec.expect and (
            not self.spec.expect_runtime or self.actual_runtime == self.spec.expect_runtime
        )


@contextmanager
def _copy(base: Path, work: Path, name: str) -> Iterator[Path]:
    """A hard-linked copy of ``base`` (edits give a file its own inode first)."""
    target = work / name
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-al", str(base), str(target)], check=True)
    try:
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)


def run_root(catalog: Catalog, cache: Path) -> tuple[list[RootRun], str]:
    base = build_root(cache)
    version = (base / "etc" / "debian_version").read_text().strip()
    work = Path(tempfile.mkdtemp(prefix="trails-accuracy-", dir=cache))
    out = []
    try:
        for case in CASES:
            control_id = f"cis-ubuntu2204-{case.control}"
            for label, spec in (
                ("compliant", case.compliant),
                ("non-compliant", case.noncompliant),
            ):
                with _copy(base, work, f"{case.control}-{label}") as copy:
                    apply(copy, Write("/etc/os-release", UBUNTU_OS_RELEASE))
                    for edit in spec.edits:
                        apply(copy, edit)
                    try:
                        result = trails_check("--root", str(copy), "--control", control_id)[
                            "results"
                        ][0]
                    except (RuntimeError, IndexError) as exc:  # e.g. a pack being edited
                        result = {"status": "error", "detail": str(exc)}
                    run = RootRun(case, label, spec, result["status"], result.get("detail", ""))
                    if spec.runtime is not None:
                        run.actual_runtime = _with_runtime(catalog, copy, control_id, spec.runtime)
                    out.append(run)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out, version


def _with_runtime(catalog: Catalog, root: Path, control_id: str, runtime: Mapping[str, Any]) -> str:
    with tempfile.TemporaryDirectory(prefix="trails-runtime-") as tmp:
        host = materialise({"runtime": runtime}, Path(tmp))
        evaluator = ReferenceEvaluator(Host(root=root, runtime=host.runtime))
        try:
            results = evaluate(catalog, PACKS, Selection((UBUNTU,), (control_id,)), evaluator)
        finally:
            evaluator.close()
    return results[0].status


# ---------------------------------------------------------------------- the document


def _counts(results: Sequence[Mapping[str, Any]]) -> str:
    counts = Counter(str(r["status"]) for r in results)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def render(
    *,
    samples: Sequence[Sampled],
    refs: Mapping[str, str],
    cac_paths: Mapping[str, str],
    host: Mapping[str, Mapping[str, Any]],
    root_runs: Sequence[RootRun],
    debian: str,
) -> str:
    fixtures = [r for s in samples for r in s.runs]
    bad_fixtures = [(s, r) for s in samples for r in s.mismatches]
    with_cac = sum(1 for s in samples if s.cac is not None and s.cac.rules)
    with_ld = sum(1 for s in samples if s.lockdown)
    disagree = [
        s for s in samples if agreement(s.control, s.cac.rules if s.cac else ()) not in ("yes", "-")
    ]
    ubuntu = host[UBUNTU]["results"]
    not_na = [r for r in ubuntu if r["status"] != "not_applicable"]
    root_bad = [r for r in root_runs if not r.matched]
    lines: list[str] = [
        "# Accuracy of the CIS packs",
        "",
        "Generated by `scripts/gen_accuracy.py` (`make accuracy`, as root); do not edit. "
        "How it was made and how to reproduce it: the script's docstring.",
        "",
        "## Summary",
        "",
        f"- **Sampled controls**: {len(samples)} automated controls "
        f"({SAMPLE_SIZE} per pack: {', '.join(CIS_PACKS)}; seed {SEED}). "
        f"{with_cac} have ComplianceAsCode rule ids for their CIS id, "
        f"{with_ld} an ansible-lockdown task. Their {len(fixtures)} host states (fixtures) "
        f"give the expected status in {len(fixtures) - len(bad_fixtures)} cases "
        f"({len(bad_fixtures)} mismatches). Subject of the check (module, sysctl key, "
        f"package, file, key) without a CaC rule or not in its ids: {len(disagree)} "
        "(reviewed by hand; see the table).",
        "- **This machine** (`trails check --json` on /): "
        + "; ".join(f"{p}: {_counts(host[p]['results'])}" for p in CIS_PACKS)
        + f". Ubuntu pack: {len(ubuntu) - len(not_na)} of {len(ubuntu)} controls "
        f"not_applicable, {len(not_na)} not.",
        f"- **Debian {debian} root** (debootstrap, os-release set to Ubuntu 22.04): "
        f"{len(CASES)} controls x 2 states = {len(root_runs)} verdicts, "
        f"{len(root_runs) - len(root_bad)} as expected, {len(root_bad)} not.",
        "",
        "Mismatches:",
        "",
    ]
    for s, r in bad_fixtures:
        lines.append(
            f"- fixture: `{s.control.id}` ({md(r.note) or 'no note'}): expected "
            f"{r.expect}, got {r.actual}"
        )
    for r in not_na:
        lines.append(
            f"- this machine: `{r['control_id']}` says {r['status']} ({md(r['detail'])}), "
            "not not_applicable"
        )
    for rr in root_bad:
        lines.append(
            f"- Debian root: `cis-ubuntu2204-{rr.case.control}` {rr.state}: expected "
            f"{rr.spec.expect}{'/' + rr.spec.expect_runtime if rr.spec.expect_runtime else ''}, "
            f"got {rr.actual}{'/' + rr.actual_runtime if rr.actual_runtime else ''}"
        )
    if not (bad_fixtures or not_na or root_bad):
        lines.append("- none")
    lines += ["", "References used:", ""]
    for name, commit in refs.items():
        lines.append(f"- {name}: commit {commit}")
    lines += [
        f"- CaC files: {', '.join(f'`{p}`' for p in cac_paths.values())}; ansible-lockdown: "
        "`tasks/section_*/cis_*.yml`, the outermost task whose name starts with the CIS id",
        "",
        "## 1. Sampled controls",
        "",
        "Each control: its check kind, the CaC rules for its CIS id (variables in "
        "brackets), the ansible-lockdown task, whether the check's subject appears in "
        "the CaC rule ids, and each fixture host state as expected -> actual (the "
        "compiled query run by the reference collector over the materialised host "
        "state, as tests/packs/harness.py does).",
    ]
    for pack_id in CIS_PACKS:
        lines += [
            "",
            f"### {pack_id}",
            "",
            "| control | title | kind | ComplianceAsCode | ansible-lockdown | subject in CaC "
            "| host states (expect -> actual: note) |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in (s for s in samples if s.pack.id == pack_id):
            cac = "(no CaC control)"
            if s.cac is not None:
                cac = ", ".join(f"`{r}`" for r in s.cac.rules) or f"(none; {s.cac.status})"
                if s.cac.variables:
                    cac += " [" + ", ".join(s.cac.variables) + "]"
            states = "<br>".join(
                f"{r.expect} -> {r.actual}{'' if r.expect == r.actual else ' **MISMATCH**'}"
                f"{': ' + md(r.note) if r.note else ''}"
                for r in s.runs
            )
            kind = s.control.check.kind if s.control.check else "-"
            lines.append(
                f"| `{s.control.id}` | {md(s.control.title)} | {kind} | {md(cac)} | "
                f"{md(s.lockdown) or '(none)'} | "
                f"{md(agreement(s.control, s.cac.rules if s.cac else ()))} | {states} |"
            )
    lines += [
        "",
        "## 2. This machine",
        "",
        f"`trails check --json --pack <pack>` on / ({md(host[UBUNTU]['collector'])}).",
        "",
        "| pack | controls | verdicts |",
        "|---|---|---|",
    ]
    for pack_id in CIS_PACKS:
        results = host[pack_id]["results"]
        lines.append(f"| {pack_id} | {len(results)} | {_counts(results)} |")
    for pack_id in CIS_PACKS:
        results = host[pack_id]["results"]
        reasons = Counter((r["status"], r["detail"]) for r in results)
        lines += ["", f"{pack_id}: verdicts and their reasons:", ""]
        for (status, detail), n in sorted(reasons.items()):
            lines.append(f"- {n} x {status}: {md(detail) or '(no detail)'}")
        others = [r for r in results if r["status"] != "not_applicable"]
        if others:
            lines += [
                "",
                "Not not_applicable: " + ", ".join(f"`{r['control_id']}`" for r in others) + ".",
            ]
        if any("systemd_units" in r["detail"] for r in others):
            lines[-1] += (
                " The compiled query asks the tables of the control's own not-applicable "
                "condition to have rows before it asks the pack's `applies_when`, so an "
                "unread table (systemd_units where systemd is not running, as in this "
                "container) gives no_evidence although os_version already says the host "
                "is not what the pack is for."
            )
    lines += [
        "",
        f"## 3. Debian {debian} root",
        "",
        "`" + " ".join([*DEBOOTSTRAP, "<dir>", MIRROR]) + "`, then /etc/os-release "
        "replaced by Ubuntu 22.04's. Each state is a hard-linked copy of that root with "
        "the files a hardening guide (CIS remediation, ansible-lockdown) writes; verdict "
        "from `trails check --root <copy> --control <id> --json`. "
        f"Runtime-only checks: expected {_RUNTIME_ONLY}. The same copy evaluated with a "
        "runtime (the /proc values the files leave after boot; modules loaded: ext4) "
        "is the second verdict. The minbase root has no kernel: the modprobe states add "
        f"an empty module file where Debian's {KERNEL} kernel has it, so the module "
        "counts as available.",
        "",
        "| control | area | state | what was written | expected | actual | with runtime "
        "(expected -> actual) |",
        "|---|---|---|---|---|---|---|",
    ]
    for rr in root_runs:
        actual = rr.actual + ("" if rr.actual == rr.spec.expect else " **MISMATCH**")
        if rr.detail and rr.actual != rr.spec.expect:
            actual += f" ({md(rr.detail)})"
        runtime = "-"
        if rr.spec.expect_runtime:
            runtime = f"{rr.spec.expect_runtime} -> {rr.actual_runtime}"
            if rr.actual_runtime != rr.spec.expect_runtime:
                runtime += " **MISMATCH**"
        lines.append(
            f"| `cis-ubuntu2204-{rr.case.control}` | {rr.case.area} | {rr.state} | "
            f"{md(rr.spec.why)} | {rr.spec.expect} | {actual} | {runtime} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cac", type=Path, required=True, help="ComplianceAsCode/content clone")
    parser.add_argument("--ubuntu-lockdown", type=Path, required=True, help="UBUNTU22-CIS clone")
    parser.add_argument("--rhel-lockdown", type=Path, required=True, help="RHEL9-CIS clone")
    parser.add_argument(
        "--root-cache",
        type=Path,
        default=Path("/var/tmp/trails-accuracy-root"),  # noqa: S108 - a cache, root-owned
        help="where the debootstrapped root is kept between runs",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "accuracy.md")
    args = parser.parse_args()
    started = time.monotonic()

    catalog = load_catalog(PACKS)
    cac, cac_paths = {}, {}
    for pack_id in CIS_PACKS:
        cac_paths[pack_id], cac[pack_id] = load_cac(args.cac, pack_id)
    lockdown = {
        "cis_ubuntu_22_04": load_lockdown(args.ubuntu_lockdown),
        "cis_rhel9": load_lockdown(args.rhel_lockdown),
    }
    refs = {
        "ComplianceAsCode/content": git_commit(args.cac),
        "ansible-lockdown/UBUNTU22-CIS": git_commit(args.ubuntu_lockdown),
        "ansible-lockdown/RHEL9-CIS": git_commit(args.rhel_lockdown),
    }
    print("sampling and running fixtures ...", file=sys.stderr)
    samples = run_samples(catalog, cac, lockdown)
    print("trails check on this machine ...", file=sys.stderr)
    host = {p: trails_check("--pack", p) for p in CIS_PACKS}
    print("Debian root ...", file=sys.stderr)
    root_runs, debian = run_root(catalog, args.root_cache)
    text = render(
        samples=samples,
        refs=refs,
        cac_paths=cac_paths,
        host=host,
        root_runs=root_runs,
        debian=debian,
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} in {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
