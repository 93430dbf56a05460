"""Document assembly: page frame, header and "page N of M" footer, outline, metadata.

``build_pdf`` turns a story (a list of flowables) into PDF bytes. Output is reproducible:
reportlab's ``invariant`` mode fixes the document id, the creation and modification dates
are the report's own time (``DocumentInfo.created``: its generation time, never the clock),
and nothing else depends on the clock. ``Heading`` paragraphs become PDF outline (bookmark)
entries.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import cm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
)
from reportlab.platypus.flowables import _listWrapOn
from reportlab.platypus.paragraph import ParagraphStyle

from trails.report.pdf import styles
from trails.report.pdf.text import markup, plain, whole


@dataclass(frozen=True)
class DocumentInfo:
    """PDF metadata and the running header/footer text (all plain, untrusted-safe text)."""

    title: str
    subject: str
    author: str
    keywords: tuple[str, ...] = ()
    footer: str = ""
    creator: str = "trails"
    created: datetime | None = None  # /CreationDate and /ModDate; None: reportlab's fixed date


class Heading(Paragraph):  # type: ignore[misc]
    """A section title that also adds an outline entry at ``level`` (0 = top)."""

    def __init__(
        self, title: str, style: ParagraphStyle, level: int, key: str, limit: int | None = 240
    ) -> None:
        """``limit=None``: the title comes from a pack (trusted) and is shown whole."""
        self.outline_title = plain(title, 90)
        self.outline_level = level
        self.outline_key = key
        super().__init__(whole(title) if limit is None else markup(title, limit), style)


class _HeadingWithStart(KeepTogether):  # type: ignore[misc]
    """keepWithNext that keeps a heading with the *start* of what follows.

    reportlab's KeepTogether moves a heading and a whole long table to a new page when
    the pair is taller than the space left, which leaves a page with only the heading
    paragraph on it. Here only the heading plus ``START`` of the next flowable must fit;
    the table then splits in place and repeats its header on the next page. A chart (a
    ``Drawing``) cannot split, so a heading before one needs the whole chart to fit: otherwise
    the heading would end the page alone and its chart open the next.
    """

    START = 3 * cm
    _H: float  # set by KeepTogether.wrap: the height the group asks for

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:
        width, height = super().wrap(aW, aH)
        if len(self._content) > 1 and not isinstance(self._content[-1], Drawing):
            _, lead = _listWrapOn(self._content[:-1], aW, self.canv)
            self._H = min(self._H, lead + self.START)
        return width, height


class _Doc(BaseDocTemplate):  # type: ignore[misc]
    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Heading):
            self.canv.bookmarkPage(flowable.outline_key)
            self.canv.addOutlineEntry(
                flowable.outline_title, flowable.outline_key, flowable.outline_level, closed=True
            )


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut (with an ellipsis) so that it is at most ``width`` points wide."""
    if stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if stringWidth(text[:mid] + "\u2026", font, size) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low] + "\u2026"


def _timestamp(when: datetime) -> TimeStamp:
    """A reportlab time stamp (UTC) for ``when``: the PDF's creation and modification date."""
    stamp = TimeStamp(1)
    t = when.replace(tzinfo=when.tzinfo or UTC).timestamp()
    stamp.t = t
    stamp.lt = time.gmtime(t)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


def _canvas_maker(info: DocumentInfo) -> Callable[..., Canvas]:
    """A canvas that holds its pages until the end, so each footer can say "of M"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pending: list[dict[str, Any]] = []
            if info.created is not None:
                self._doc._timeStamp = _timestamp(info.created)

        def showPage(self) -> None:
            self._pending.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pending)
            for number, state in enumerate(self._pending, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = styles.PAGE_SIZE
            self.saveState()
            self.setFont(styles.FONT, 7.5)
            self.setFillColor(styles.MUTED)
            self.setStrokeColor(styles.RULE)
            self.setLineWidth(0.5)
            bottom = styles.MARGIN * 0.55
            self.line(styles.MARGIN, bottom + 9, width - styles.MARGIN, bottom + 9)
            page = f"page {number} of {total}"
            room = styles.FRAME_WIDTH - stringWidth(page, styles.FONT, 7.5) - 20
            self.drawString(styles.MARGIN, bottom, fit(info.footer, styles.FONT, 7.5, room))
            self.drawRightString(width - styles.MARGIN, bottom, page)
            if number > 1:
                top = height - styles.MARGIN * 0.6
                self.drawString(
                    styles.MARGIN, top, fit(info.title, styles.FONT, 7.5, styles.FRAME_WIDTH)
                )
                self.line(styles.MARGIN, top - 4, width - styles.MARGIN, top - 4)
            self.restoreState()

    return NumberedCanvas


def build_pdf(story: Sequence[Flowable], info: DocumentInfo) -> bytes:
    buf = io.BytesIO()
    doc = _Doc(
        buf,
        pagesize=styles.PAGE_SIZE,
        leftMargin=styles.MARGIN,
        rightMargin=styles.MARGIN,
        topMargin=styles.MARGIN,
        bottomMargin=styles.MARGIN,
        title=info.title,
        author=info.author,
        subject=info.subject,
        creator=info.creator,
        keywords=list(info.keywords),
        invariant=1,
        displayDocTitle=1,
        keepTogetherClass=_HeadingWithStart,
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(list(story), canvasmaker=_canvas_maker(info))
    return buf.getvalue()
