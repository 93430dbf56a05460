"""Tables that split across pages with a repeated header, bounded rows, and wrapped cells."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.platypus import Paragraph, Table, TableStyle

from trails.report.pdf import styles
from trails.report.pdf.text import markup


class Fixed(str):
    """A short cell of known shape (a number, a timestamp): drawn as a plain string, which
    is much cheaper than a Paragraph. Never use it for host-supplied text."""

    __slots__ = ()


class Mono(str):
    """Plain text (already made drawable with ``text.plain``; lines split by newlines) set in
    the monospaced font. ``data_table`` wraps it to the column width itself: every Courier
    glyph is 0.6 em wide, so this needs no font metrics and is far cheaper than a Paragraph.
    Long tokens are broken, so nothing overflows."""

    __slots__ = ()


MONO_SIZE = 6.5
MONO_LEADING = 8.0
MAX_MONO_LINES = 48  # a row must fit on one page
_PADDING = 3.0


def wrap_mono(text: str, width: float) -> str:
    columns = max(8, int((width - 2 * _PADDING) / (0.6 * MONO_SIZE)))
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(
            textwrap.wrap(line, columns, break_on_hyphens=False, replace_whitespace=False) or [""]
        )
    if len(lines) > MAX_MONO_LINES:
        lines = [*lines[: MAX_MONO_LINES - 1], f"\u2026 (+{len(lines) - MAX_MONO_LINES + 1} lines)"]
    return "\n".join(lines)


def _cell(value: object, width: float) -> object:
    """A ``Fixed`` cell is drawn as is, a ``Mono`` one wrapped; another ``str`` cell is
    Paragraph markup (already escaped with ``text.markup``); anything else is a flowable."""
    if isinstance(value, Mono):
        return wrap_mono(value, width)
    if isinstance(value, Fixed):
        return str(value)
    return Paragraph(value, styles.CELL) if isinstance(value, str) else value


def badge_markup(status: str) -> str:
    """The status word in its colour, bold, as Paragraph markup."""
    colour = styles.status_colour(status).hexval()[2:]
    return f'<font color="#{colour}"><b>{markup(status, 20)}</b></font>'


def status_badge(status: str) -> Paragraph:
    return Paragraph(badge_markup(status), styles.CELL)


def data_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], fractions: Sequence[float]
) -> Table:
    """A full-width table; ``fractions`` share the frame width between the columns.

    The header row repeats on every page the table spans; every cell is a wrapped
    ``Paragraph`` so long values grow the row instead of overflowing the column.
    """
    if len(header) != len(fractions) or any(len(r) != len(header) for r in rows):
        raise ValueError("every table row needs one cell per column")
    total = sum(fractions)
    widths = [styles.FRAME_WIDTH * f / total for f in fractions]
    data: list[list[object]] = [[Paragraph(markup(h, 60), styles.CELL_HEAD) for h in header]]
    data.extend([_cell(c, w) for c, w in zip(row, widths, strict=True)] for row in rows)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), styles.HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 1), (-1, -1), styles.FONT, styles.CELL.fontSize, styles.CELL.leading),
        ("TEXTCOLOR", (0, 1), (-1, -1), styles.INK),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, styles.RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    commands.extend(
        ("FONT", (c, r), (c, r), styles.FONT_MONO, MONO_SIZE, MONO_LEADING)
        for r, row in enumerate(rows, start=1)
        for c, cell in enumerate(row)
        if isinstance(cell, Mono)
    )
    if len(data) > 2:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, styles.ZEBRA]))
    table.setStyle(TableStyle(commands))
    return table


def shown_of(
    shown: int, total: int, what: str, rest: str = "the JSON and CSV reports list all"
) -> Paragraph | None:
    """The note under a bounded table (``rest``: where the others are), or None when
    nothing was left out."""
    if total <= shown:
        return None
    return Paragraph(
        f"Showing {shown:,} of {total:,} {markup(what, 60)}; {markup(rest, 200)}.", styles.NOTE
    )
