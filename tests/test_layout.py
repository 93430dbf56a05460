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


# The dependency rule of README "Layout" and docs/design.md §2, as data: each package of
# trails/ and the packages it may import. ``trails.errors``, ``trails.__init__`` (the
# version) and ``trails.fileio`` (the one atomic write) are the base every package may
# use; ``cli``/``cli_group`` only dispatch to ``commands`` by module name. Nothing else is
# allowed: a lower layer never imports an upper one, and ``sign`` and ``verify`` never
# import each other (both import ``formats``); ``agent`` and ``report`` call the pure
# core in ``verify``.
BASE = {"errors", "__init__", "fileio"}
LOWER = {"formats", "models", "packs", "collector", "osquery", "audit_rules"}
MIDDLE = {"build", "sign", "verify", "agent", "report", "check"}
ALLOWED: dict[str, set[str]] = {
    "__main__": {"cli"},
    "cli": {"cli_group"},
    "cli_group": {"cli"},
    "commands": MIDDLE | LOWER,
    "build": LOWER,
    "sign": LOWER,
    "verify": LOWER,
    "agent": LOWER | {"verify"},
    "report": LOWER | {"verify"},
    "check": LOWER,
    "formats": {"models"},
    "models": set(),
    "osquery": {"models"},
    "audit_rules": {"models"},
    "packs": {"models", "osquery"},
    "collector": {"models", "osquery"},
}


def _package(path: Path) -> str:
    parts = path.relative_to(REPO / "trails").with_suffix("").parts
    return parts[0]


def _trails_imports(path: Path) -> set[str]:
    """The top-level trails packages ``path`` imports, lazily or not (``from trails
    import x`` counts as importing ``x``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
            if node.module == "trails":
                # ``from trails import __version__`` is the package's own __init__
                names = [
                    f"trails.{'__init__' if a.name.startswith('__') else a.name}"
                    for a in node.names
                ]
        else:
            continue
        found.update(n.split(".")[1] for n in names if n.startswith("trails."))
    return found


def test_every_package_has_a_rule() -> None:
    packages = {_package(p) for p in (REPO / "trails").rglob("*.py")}
    assert packages - BASE - set(ALLOWED) == set()


def test_imports_follow_the_dependency_rule() -> None:
    offending: dict[str, list[str]] = {}
    for path in sorted((REPO / "trails").rglob("*.py")):
        package = _package(path)
        if package in BASE:
            continue
        allowed = ALLOWED[package] | BASE | {package}
        bad = sorted(_trails_imports(path) - allowed)
        if bad:
            offending[str(path.relative_to(REPO))] = bad
    assert offending == {}


def test_sign_and_verify_never_import_each_other() -> None:
    assert "verify" not in ALLOWED["sign"]
    assert "sign" not in ALLOWED["verify"]
    for upper in MIDDLE | {"commands"}:
        assert all(upper not in ALLOWED[lower] for lower in LOWER)
