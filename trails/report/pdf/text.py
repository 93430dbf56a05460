"""Untrusted text made safe for the PDF: literal, bounded, and drawable by the standard fonts.

Everything in a report that came from a host (hostnames, evidence, owners, even namespace
names) may be hostile. Before it reaches reportlab it goes through ``plain`` (for graphics
strings, drawn as-is) or ``markup`` (for ``Paragraph``, which parses a small XML dialect):

- at most ``limit`` characters of the input are looked at, so a 10 MB string costs nothing
  and the cell says how much was cut;
- tab, newline and carriage return become spaces; every other character the standard 14
  fonts cannot draw (controls, bidi overrides U+202A-U+202E and U+2066-U+2069, zero-width
  characters, anything outside Windows-1252, lone surrogates from non-UTF-8 bytes) is shown
  as a visible escape such as ``\\u202e`` — an auditor sees that it was there, and nothing
  reorders or hides the text around it;
- ``markup`` then escapes ``&``, ``<`` and ``>`` so reportlab's tags are text.

Text that comes from the signed packs (control titles, levels, requirement titles, rationale,
remediation) is not the hosts' to inflate, and an auditor must read it whole: ``whole``
escapes it like ``markup`` but never cuts it. Only host-sourced strings are bounded.

Long unbroken tokens are wrapped by the cell styles (``splitLongWords``), not here.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

# Characters the standard 14 fonts draw through WinAnsiEncoding: printable ASCII and the
# printable part of Windows-1252 (0x80-0xFF, minus the five undefined code points and the
# soft hyphen, which a viewer may hide).
_DRAWABLE = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [
        ch
        for b in range(0x80, 0x100)
        if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xAD)
        for ch in bytes([b]).decode("cp1252")
    ]
)
_WHITESPACE = frozenset("\t\n\r")

# Bounds used across the document (characters of the input, before escaping).
NAME_CHARS = 120  # hostnames, namespaces, owners, titles in table cells
TEXT_CHARS = 400  # free text: rationale, remediation, messages
EVIDENCE_CHARS = 600  # one evidence row


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def plain(value: object, limit: int = NAME_CHARS) -> str:
    """``value`` as drawable, literal text of bounded length (no markup escaping)."""
    text = value if isinstance(value, str) else str(value)
    head = text[:limit]
    if not (head.isascii() and head.isprintable()):
        head = "".join(
            ch if ch in _DRAWABLE else " " if ch in _WHITESPACE else _escape_char(ch) for ch in head
        )
    cut = len(text) - limit
    if cut > 0:
        head += f" \u2026 [+{cut} chars]"
    return head


def markup(value: object, limit: int = NAME_CHARS) -> str:
    """``value`` as a ``Paragraph`` fragment that renders literally and bounded."""
    return escape(plain(value, limit))


def clip(value: object, limit: int) -> str:
    """``plain`` cut to about ``limit`` characters with a bare ellipsis (chart labels)."""
    text = value if isinstance(value, str) else str(value)
    return plain(text, limit) if len(text) <= limit else plain(text[: limit - 1], limit) + "\u2026"


def whole(value: object) -> str:
    """Pack-sourced ``value`` as a ``Paragraph`` fragment: drawable and escaped, never cut."""
    text = value if isinstance(value, str) else str(value)
    return escape(plain(text, len(text)))
