from __future__ import annotations

import pytest
from reportlab.platypus import Paragraph

from trails.report.pdf import styles
from trails.report.pdf.tables import (
    MAX_MONO_LINES,
    MONO_SIZE,
    Fixed,
    Mono,
    data_table,
    shown_of,
    wrap_mono,
)


def test_mono_text_wraps_to_the_column_and_breaks_long_tokens() -> None:
    width = 100.0
    columns = int((width - 6) / (0.6 * MONO_SIZE))
    out = wrap_mono("a" * 100 + " short\nsecond line", width)
    lines = out.split("\n")
    assert all(len(line) <= columns for line in lines)
    assert "".join(lines).startswith("a" * 100 + " short")
    assert lines[-1] == "second line"


def test_mono_text_is_bounded_in_lines() -> None:
    lines = wrap_mono("\n".join(str(i) for i in range(500)), 200).split("\n")
    assert len(lines) == MAX_MONO_LINES
    assert lines[-1] == f"\u2026 (+{500 - MAX_MONO_LINES + 1} lines)"


def test_cells_become_strings_paragraphs_or_stay_flowables() -> None:
    para = Paragraph("x", styles.CELL)
    table = data_table(
        ["A", "B", "C", "D"], [[Fixed("1\n2"), Mono("m" * 200), "<b>bold</b>", para]], [1, 1, 1, 1]
    )
    row = table._cellvalues[1]
    assert row[0] == "1\n2"
    assert isinstance(row[1], str)
    assert max(len(line) for line in row[1].split("\n")) < 200
    assert isinstance(row[2], Paragraph)
    assert row[3] is para
    fonts = [(c, r, f) for (c, r), f in _fonts(table).items() if r == 1]
    assert (1, 1, styles.FONT_MONO) in fonts
    assert (0, 1, styles.FONT) in fonts
    assert table.repeatRows == 1


def _fonts(table: object) -> dict[tuple[int, int], str]:
    cellstyles = table._cellStyles  # type: ignore[attr-defined]
    return {(c, r): cell.fontname for r, row in enumerate(cellstyles) for c, cell in enumerate(row)}


def test_rows_must_match_the_header() -> None:
    with pytest.raises(ValueError, match="one cell per column"):
        data_table(["A", "B"], [["only one"]], [1, 1])


def test_shown_of_only_when_rows_were_left_out() -> None:
    assert shown_of(5, 5, "hosts") is None
    note = shown_of(5, 1234, "failing <hosts>")
    assert note is not None
    assert "Showing 5 of 1,234 failing &lt;hosts&gt;" in note.text


def test_fit_cuts_running_text_to_a_width() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from trails.report.pdf.document import fit

    assert fit("short", styles.FONT, 7.5, 100) == "short"
    cut = fit("W" * 300, styles.FONT, 7.5, 200)
    assert cut.endswith("\u2026")
    assert stringWidth(cut, styles.FONT, 7.5) <= 200
    assert stringWidth(cut[:-1] + "W\u2026", styles.FONT, 7.5) > 200
