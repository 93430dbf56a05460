"""Page geometry, paragraph styles and status colours of the PDF report (standard 14 fonts)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from trails.models.evidence import ReportStatus

PAGE_SIZE = A4
MARGIN = 18 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_MONO = "Courier"

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
HEADER_BG = colors.HexColor("#243b53")
ZEBRA = colors.HexColor("#f0f4f8")
BANNER = colors.HexColor("#b42318")

# One colour per status, used by charts, badges and table cells alike.
STATUS_COLOURS: Mapping[str, colors.Color] = MappingProxyType(
    {
        ReportStatus.PASS.value: colors.HexColor("#2f9e44"),
        ReportStatus.FAIL.value: colors.HexColor("#d9480f"),
        ReportStatus.ERROR.value: colors.HexColor("#9c36b5"),
        ReportStatus.NOT_APPLICABLE.value: colors.HexColor("#868e96"),
        ReportStatus.MANUAL.value: colors.HexColor("#1971c2"),
        ReportStatus.NO_EVIDENCE.value: colors.HexColor("#495057"),
        ReportStatus.STALE.value: colors.HexColor("#e8a317"),
        ReportStatus.WAIVED.value: colors.HexColor("#a9713b"),  # a muted fail: still not a pass
    }
)
STATUS_ORDER = tuple(s.value for s in ReportStatus)


def status_colour(status: str) -> colors.Color:
    return STATUS_COLOURS.get(status, MUTED)


def _style(name: str, **kw: object) -> ParagraphStyle:
    base: dict[str, object] = {
        "fontName": FONT,
        "fontSize": 9.5,
        "leading": 12.5,
        "textColor": INK,
        "splitLongWords": 1,
    }
    base.update(kw)
    return ParagraphStyle(name, **base)


TITLE = _style("title", fontName=FONT_BOLD, fontSize=24, leading=30, spaceAfter=6 * mm)
SUBTITLE = _style("subtitle", fontSize=13, leading=17, textColor=MUTED, spaceAfter=3 * mm)
H1 = _style(
    "h1",
    keepWithNext=1,
    fontName=FONT_BOLD,
    fontSize=16,
    leading=20,
    spaceBefore=2 * mm,
    spaceAfter=4 * mm,
)
H2 = _style(
    "h2",
    keepWithNext=1,
    fontName=FONT_BOLD,
    fontSize=12,
    leading=15,
    spaceBefore=5 * mm,
    spaceAfter=2 * mm,
)
BODY = _style("body", spaceAfter=2 * mm)
NOTE = _style("note", fontSize=8, leading=10, textColor=MUTED, spaceAfter=2 * mm)
BANNER_STYLE = _style(
    "banner",
    fontName=FONT_BOLD,
    fontSize=14,
    leading=18,
    textColor=colors.white,
    backColor=BANNER,
    alignment=TA_CENTER,
    borderPadding=(3 * mm, 3 * mm, 3 * mm, 3 * mm),
    spaceBefore=4 * mm,
    spaceAfter=8 * mm,
)
CELL = _style("cell", fontSize=7.5, leading=9.5)
CELL_BOLD = _style("cell_bold", fontName=FONT_BOLD, fontSize=7.5, leading=9.5)
CELL_HEAD = _style(
    "cell_head", fontName=FONT_BOLD, fontSize=7.5, leading=9.5, textColor=colors.white
)
CELL_MONO = _style("cell_mono", fontName=FONT_MONO, fontSize=6.5, leading=8)
