"""Write docs/coverage.md from the control packs (tests/packs/test_coverage.py checks it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from trails.packs import load_catalog
from trails.packs.coverage import coverage_markdown

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packs", type=Path, default=ROOT / "cis_pci_packs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "coverage.md")
    args = parser.parse_args()
    text = coverage_markdown(load_catalog(args.packs), args.packs)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
