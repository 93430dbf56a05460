"""``trails build`` end to end: version from git, compile, manifests, write ``dist/``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import git

from trails.build.pipeline import CompiledNamespace, CompileResult, Progress, compile_repository
from trails.build.version import SourceVersion, source_version
from trails.build.writer import write_outputs
from trails.errors import UsageError
from trails.formats.manifest import FileEntry, Manifest
from trails.formats.names import AUDIT_RULES, EXCEPTIONS, MANIFEST, OSQUERY_CONF
from trails.osquery.schema import OsquerySchema

PACKS_DIR_NAME = "cis_pci_packs"


@dataclass(frozen=True)
class BuildResult:
    compiled: CompileResult
    source: SourceVersion
    written: tuple[Path, ...]


def default_packs_dir(policies: Path, explicit: Path | None) -> Path:
    """``--packs``, else ``cis_pci_packs`` at the git root (or next to the policies)."""
    if explicit is not None:
        return explicit
    try:
        root = Path(git.Repo(policies, search_parent_directories=True).working_dir)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        root = policies.resolve().parent
    return root / PACKS_DIR_NAME


def release_files(c: CompiledNamespace, source: SourceVersion) -> dict[str, bytes]:
    files = {OSQUERY_CONF: c.osquery_conf, AUDIT_RULES: c.audit_rules}
    if c.exceptions:  # signed with the configs; agents fetch and verify it, never install it
        files[EXCEPTIONS] = c.exceptions
    manifest = Manifest(
        namespace=c.namespace,
        version=source.version,
        config_version=source.config_version,
        created=source.committed,
        source_repo=source.repo_url,
        source_commit=source.commit,
        tags=dict(c.tags),
        files={
            name: FileEntry(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            for name, data in files.items()
        },
    )
    return {**files, MANIFEST: manifest.to_bytes()}


def build_release(
    policies: Path,
    out: Path,
    *,
    schema: OsquerySchema,
    packs_dir: Path,
    namespaces: Iterable[str] | None = None,
    allow_dirty: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build every (or the chosen) namespace; writes nothing unless all of them are valid."""
    if not policies.is_dir():
        raise UsageError(f"policies directory {policies} does not exist")
    source = source_version(policies, watched=(policies, packs_dir))
    if source.dirty and not allow_dirty:
        raise UsageError(
            f"{policies} or {packs_dir} has uncommitted changes; commit them so the release "
            "matches a commit, or pass --allow-dirty"
        )
    compiled = compile_repository(
        policies,
        schema=schema,
        packs_dir=packs_dir,
        display_base=source.repo_root,
        namespaces=namespaces,
        config_version=source.config_version,
        progress=progress,
    )
    if not compiled.ok:
        return BuildResult(compiled, source, ())
    outputs = {c.namespace: release_files(c, source) for c in compiled.namespaces}
    return BuildResult(compiled, source, tuple(write_outputs(out, outputs)))
