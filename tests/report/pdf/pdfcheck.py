"""Read a rendered PDF back: text per page, outline titles, metadata, and PNG pages."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

from pypdf import PdfReader


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def outline_titles(pdf: bytes) -> list[tuple[int, str]]:
    """(depth, title) of every outline entry, in document order."""
    out: list[tuple[int, str]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title))

    walk(reader(pdf).outline, 0)
    return out


def to_pngs(pdf: bytes, out_dir: Path, dpi: int = 60) -> list[Path]:
    """Every page as a PNG via poppler's pdftoppm, in page order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(source), str(out_dir / "page")],
        check=True,
        timeout=300,
    )
    return sorted(out_dir.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def page_lines(pdf: bytes) -> list[list[tuple[float, float, str]]]:
    """Per page, every text run as (y of its baseline in points from the page bottom, font
    size in points, text), in drawing order; empty runs are skipped."""
    pages: list[list[tuple[float, float, str]]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if text.strip():
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            pages[-1].append((y, size * abs(tm[3] * cm[3]) or size, text.strip()))

    for page in reader(pdf).pages:
        pages.append([])
        page.extract_text(visitor_text=visit)
    return pages
