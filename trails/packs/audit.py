"""Audit rule groups: ``cis_pci_packs/audit/<arch>/<group>.rules``.

Each file holds rules in exactly the form ``auditctl -l`` prints them (syscalls in
kernel order, ``-F key=`` for syscall rules, ``-k`` for watches), so the same lines are
both what the build installs and what a control expects to find loaded in the kernel
(``trails_audit_rules``). A kernel test loads each line and compares the listing.
"""

from __future__ import annotations

from pathlib import Path

from trails.errors import SourceError, SourceLoc
from trails.models.fragment import AuditRuleSource

AUDIT_DIR = "audit"
ARCHES = ("x86_64", "aarch64")
MAX_RULE_FILE_BYTES = 256 * 1024


def group_path(packs_dir: Path, arch: str, group: str) -> Path:
    return packs_dir / AUDIT_DIR / arch / f"{group}.rules"


def load_group(
    packs_dir: Path, arch: str, group: str, *, used_at: SourceLoc
) -> tuple[AuditRuleSource, ...]:
    """The rule lines of one group; comments and blank lines dropped, locations kept."""
    if arch not in ARCHES:
        raise SourceError(used_at, f"unknown arch {arch!r}; use one of {', '.join(ARCHES)}")
    path = group_path(packs_dir, arch, group)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            used_at, f"audit rule group {group!r} not found for {arch}: {path}"
        ) from exc
    if len(raw) > MAX_RULE_FILE_BYTES:
        raise SourceError(
            SourceLoc(str(path)), f"rule file is larger than {MAX_RULE_FILE_BYTES} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(SourceLoc(str(path)), "rule file is not UTF-8") from exc
    rules = tuple(
        AuditRuleSource(line.strip(), SourceLoc(str(path), number))
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    if not rules:
        raise SourceError(SourceLoc(str(path)), f"audit rule group {group!r} holds no rule")
    return rules
