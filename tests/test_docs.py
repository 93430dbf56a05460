"""The repository cites only documents it holds: a clone has no steering design file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _tracked() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return [REPO / line for line in out.splitlines() if line]


def test_no_file_cites_the_steering_design_document() -> None:
    citing = [
        str(p.relative_to(REPO))
        for p in _tracked()
        if p.is_file()
        and p.suffix in {".py", ".md", ".json", ".yaml", ".txt"}
        and "DESIGN" + ".md" in p.read_text(errors="replace")
    ]
    assert citing == []


def test_relative_links_in_the_docs_resolve() -> None:
    broken = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in _LINK.findall(doc.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(REPO)}: {target}")
    assert broken == []
