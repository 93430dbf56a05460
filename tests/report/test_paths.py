"""The files a --results path names: glob's answer where glob ends, each directory once
where links loop, and a bound on the number of files."""

from __future__ import annotations

import glob
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trails.errors import UsageError
from trails.report import paths
from trails.report.ingest import expand_inputs
from trails.report.paths import local_files

_NAMES = ["a.log", "b.log.gz", ".hidden.log", "_SUCCESS", "dt=1", "dt=2", "x"]
_PIECES = ["*", "**", "*.log", "?.log", "[ab].log*", "dt=*", ".*", "x", "a.log", "dt=1", ".."]


def _glob(pattern: str) -> list[str]:
    """glob.glob's files, once each (it gives a file twice for **/**)."""
    return sorted({m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m)})


def _stays_inside(pattern: list[str]) -> bool:
    """Whether no ``..`` can lead above the pattern's root (``**`` may be no directory)."""
    depth = 0
    for piece in pattern:
        depth += -1 if piece == ".." else 0 if piece == "**" else 1
        if depth < 0:
            return False
    return True


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tree=st.lists(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3), max_size=12),
    pattern=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4),
)
def test_a_glob_names_the_files_python_glob_does(
    tmp_path_factory: pytest.TempPathFactory, tree: list[list[str]], pattern: list[str]
) -> None:
    root = tmp_path_factory.mktemp("tree")
    for parts in tree:
        path = root.joinpath(*parts)
        if any(p.is_file() for p in path.parents) or path.is_dir():
            continue  # a name already used the other way
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n")
    text = os.path.join(str(root), *pattern)
    assume(any(c in "".join(pattern) for c in "*?["))  # else a directory is read whole
    assume(_stays_inside(pattern))  # above root are other tests' trees, changing
    found = local_files(text)
    if ".." in pattern:  # glob names a file once per way there (a/../x, b/../x): once
        assert sorted({os.path.realpath(f) for f in found}) == sorted(
            {os.path.realpath(f) for f in _glob(text)}
        )
        assert len({os.path.realpath(f) for f in found}) == len(found)
    else:
        assert found == _glob(text)


def test_a_relative_glob_gives_relative_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_text("{}\n")
    (tmp_path / "b.log").write_text("{}\n")
    assert local_files("*.log") == ["b.log"] == _glob("*.log")
    assert local_files("**/*.log") == ["b.log", "logs/a.log"] == _glob("**/*.log")


def test_a_linked_directory_is_read_and_a_loop_is_entered_once(tmp_path: Path) -> None:
    """Regressions: a directory read whole skipped a linked directory without a word, and
    ``**`` through two links back up the tree ran for longer than any report."""
    real = tmp_path / "real"
    (real / "dt=1").mkdir(parents=True)
    (real / "dt=1" / "a.log").write_text("{}\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "today").symlink_to(real / "dt=1")
    for name in ("up", "again"):  # loops
        (logs / name).symlink_to(logs)
    started = time.monotonic()
    assert local_files(str(logs)) == [str(logs / "today" / "a.log")]
    found = local_files(str(logs / "**" / "*.log"))
    assert time.monotonic() - started < 5
    assert {os.path.realpath(f) for f in found} == {str(real / "dt=1" / "a.log")}
    assert len(found) == 1


def test_only_regular_files_are_results(tmp_path: Path) -> None:
    """A FIFO would block the read for ever."""
    os.mkfifo(tmp_path / "pipe.log")
    (tmp_path / "a.log").write_text("{}\n")
    assert local_files(str(tmp_path)) == [str(tmp_path / "a.log")]
    assert local_files(str(tmp_path / "*.log")) == [str(tmp_path / "a.log")]
    assert local_files(str(tmp_path / "pipe.log")) == []


def test_a_path_naming_too_many_files_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paths, "MAX_FILES", 3)
    for n in range(5):
        (tmp_path / f"{n}.log").write_text("{}\n")
    with pytest.raises(UsageError, match=r"more than 3 files there; name the directory"):
        expand_inputs([str(tmp_path)])
    with pytest.raises(UsageError, match=r"more than 3 files there"):
        expand_inputs([str(tmp_path / "*.log")])


def test_a_tree_deeper_than_the_recursion_limit_is_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a RecursionError (an internal error) in os.walk and the glob."""
    monkeypatch.chdir(tmp_path)  # relative names: the path stays short enough
    deep = Path("t")
    deep.mkdir()
    for _ in range(1100):  # (mkdir with parents recurses too)
        deep /= "d"
        deep.mkdir()
    (deep / "a.log").write_text("{}\n")
    try:
        assert local_files("t") == [str(deep / "a.log")]
        assert local_files("t/**/*.log") == [str(deep / "a.log")]
    finally:  # shutil.rmtree, pytest's clean-up of old temp dirs, recurses too
        (deep / "a.log").unlink()
        for level in [deep, *deep.parents][:-1]:
            level.rmdir()
