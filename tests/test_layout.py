"""The layout rules the README states, checked over the sources."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_benchmarks_and_testkit_import_nothing_from_tests() -> None:
    offending = {
        str(path.relative_to(REPO)): sorted(m for m in _imports(path) if m.split(".")[0] == "tests")
        for path in [*(REPO / "bench").glob("*.py"), *(REPO / "testkit").glob("*.py")]
    }
    assert {k: v for k, v in offending.items() if v} == {}


def test_trails_imports_nothing_from_tests_testkit_or_bench() -> None:
    offending = {
        str(path.relative_to(REPO)): sorted(
            m for m in _imports(path) if m.split(".")[0] in {"tests", "testkit", "bench"}
        )
        for path in (REPO / "trails").rglob("*.py")
    }
    assert {k: v for k, v in offending.items() if v} == {}
