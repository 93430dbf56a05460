"""Release versions from git: the commit being built names and dates the release.

``version`` is the commit time in UTC as the integer YYYYMMDDHHMMSS, ``config_version``
is that time plus the 7-character short sha. Using the commit (not the wall clock)
makes builds of the same commit byte-identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import git

from trails.errors import UsageError

_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^@/]*@", re.IGNORECASE)


@dataclass(frozen=True)
class SourceVersion:
    repo_root: Path
    repo_url: str
    commit: str
    committed: datetime  # UTC
    dirty: bool

    @property
    def version(self) -> int:
        return int(self.committed.strftime("%Y%m%d%H%M%S"))

    @property
    def config_version(self) -> str:
        return f"{self.committed.strftime('%Y%m%d%H%M%S')}-{self.commit[:7]}"


def public_url(url: str) -> str:
    """A remote URL without credentials (``https://token@host/x`` -> ``https://host/x``)."""
    return _USERINFO.sub(r"\1", url)


def open_repo(path: Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(
            f"{path} is not inside a git repository; trails build versions releases "
            "from the commit (run git init and commit the policies)"
        ) from None


def source_version(path: Path, *, watched: tuple[Path, ...] = ()) -> SourceVersion:
    """The commit at HEAD of the repository holding ``path``; dirty if ``watched`` changed."""
    repo = open_repo(path)
    try:
        commit = repo.head.commit
    except ValueError:
        raise UsageError(f"git repository at {repo.working_dir} has no commit yet") from None
    root = Path(repo.working_dir)
    rel = [
        str(p.resolve().relative_to(root.resolve()))
        for p in watched
        if p.resolve().is_relative_to(root.resolve())
    ]
    dirty = bool(rel) and _dirty(repo, rel)
    try:
        url = public_url(repo.remotes.origin.url)
    except (AttributeError, IndexError, ValueError):
        url = root.name
    return SourceVersion(
        repo_root=root,
        repo_url=url,
        commit=commit.hexsha,
        committed=commit.committed_datetime.astimezone(UTC),
        dirty=dirty,
    )


def _dirty(repo: git.Repo, paths: list[str]) -> bool:
    status = repo.git.status("--porcelain", "--untracked-files=all", "--", *paths)
    return bool(status.strip())
