"""Tables that split across pages with a repeated header, bounded rows, and wrapped cells."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from trails.report.pdf import styles
from trails.report.pdf.text import markup


def _cell(value: object) -> Flowable:
    """A ``str`` cell is Paragraph markup (already escaped with ``text.markup``); anything
    else is a ready flowable."""
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
    data: list[list[Flowable]] = [[Paragraph(markup(h, 60), styles.CELL_HEAD) for h in header]]
    data.extend([_cell(c) for c in row] for row in rows)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), styles.HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, styles.RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if len(data) > 2:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, styles.ZEBRA]))
    table.setStyle(TableStyle(commands))
    return table


def shown_of(shown: int, total: int, what: str) -> Paragraph | None:
    """The note under a bounded table, or None when nothing was left out."""
    if total <= shown:
        return None
    return Paragraph(
        f"Showing {shown:,} of {total:,} {markup(what, 60)}; the JSON and CSV reports list all.",
        styles.NOTE,
    )
