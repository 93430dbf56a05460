"""Making host-supplied text safe for machine formats (CSV cells, XML text)."""

from __future__ import annotations

import re
from functools import lru_cache

# C0/C1 controls except tab, newline and carriage return; XML 1.0 also forbids
# U+FFFE/U+FFFF and lone surrogates (the model already removed those).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# Bidi overrides and isolates make text read differently from what it is.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_FORMULA_CHARS = "=+-@\t\r"  # the first four also after leading spaces


def visible(text: str) -> str:
    """Replace control and bidi-override characters with U+FFFD (kept visible, not executed)."""
    if text.isprintable():  # no Cc/Cf/Zl/Zp characters: nothing to replace (fast path)
        return text
    return _BIDI.sub("\ufffd", _CONTROLS.sub("\ufffd", text))


@lru_cache(maxsize=1 << 16)  # hosts, controls and versions repeat across a million rows
def csv_cell(text: str) -> str:
    """A cell no spreadsheet will evaluate: formulas get a leading apostrophe (OWASP)."""
    if not text:
        return text
    first = text[0]
    spaced = first == " " and (rest := text.lstrip(" ")) != "" and rest[0] in _FORMULA_CHARS[:4]
    if first in _FORMULA_CHARS or spaced:
        text = "'" + text
    return visible(text)
