"""Sources at a git revision, for ``trails diff``: ``git archive`` into a temp directory.

Archiving (rather than a worktree) leaves the repository untouched; the tar stream is
unpacked with tarfile's ``data`` filter, which refuses links and paths leaving the target.
"""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

import git

from trails.build.version import open_repo
from trails.errors import UsageError


def export_revision(repo_path: Path, ref: str, paths: list[Path], dest: Path) -> None:
    """Unpack ``paths`` (inside the repository) as of ``ref`` under ``dest``."""
    repo = open_repo(repo_path)
    root = Path(repo.working_dir).resolve()
    try:
        repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise UsageError(f"git revision {ref!r} does not exist in {root}") from None
    for path in paths:
        if not path.resolve().is_relative_to(root):
            raise UsageError(f"{path} is not inside the repository {root}; it has no revisions")
        rel = path.resolve().relative_to(root).as_posix()
        with tempfile.TemporaryFile() as fh:
            try:
                repo.git.archive(ref, "--format=tar", "--", rel, output_stream=fh)
            except git.GitCommandError:
                continue  # the path did not exist at that revision
            fh.seek(0)
            with tarfile.open(fileobj=fh, mode="r:") as tar:
                tar.extractall(dest, filter="data")
