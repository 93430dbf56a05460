from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from reportlab.platypus import Paragraph

from trails.report.pdf import styles
from trails.report.pdf.text import clip, markup, plain

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_markup_is_escaped_and_renders_literally() -> None:
    assert markup("<b>x</b> & <font size=80>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;font size=80&gt;"
    para = Paragraph(markup("<script>alert(1)</script>"), styles.CELL)
    assert "".join(f.text for f in para.frags) == "<script>alert(1)</script>"


def test_control_characters_become_visible_escapes() -> None:
    assert plain("a\x00b\x1b[31mc\x7fd\x85") == "a\\x00b\\x1b[31mc\\x7fd\\x85"


def test_tab_newline_carriage_return_become_spaces() -> None:
    assert plain("a\tb\nc\rd") == "a b c d"


def test_every_bidi_override_is_neutralised() -> None:
    out = plain(f"evil{BIDI}gnp.exe")
    assert not any(ch in out for ch in BIDI)
    assert out == "evil\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069gnp.exe"


def test_windows_1252_text_is_kept_and_the_rest_escaped() -> None:
    kept = "Jos\u00e9 paid 5 \u20ac \u2013 \u201cok\u201d"
    assert plain(kept) == kept
    assert plain("w\u0435b") == "w\\u0435b"  # Cyrillic e: a homoglyph made visible
    assert plain("\U0001f600") == "\\U0001f600"
    assert plain("bad \udcff") == "bad \\udcff"
    assert plain("soft\xadhyphen") == "soft\\xadhyphen"


def test_long_values_are_truncated_and_say_how_much() -> None:
    huge = "x" * (10 * 1024 * 1024)
    out = plain(huge, 100)
    assert out == "x" * 100 + f" \u2026 [+{len(huge) - 100} chars]"
    assert plain("short", 100) == "short"


def test_non_strings_are_converted() -> None:
    assert plain(42) == "42"
    assert markup(None) == "None"


def test_clip_uses_a_bare_ellipsis() -> None:
    assert clip("abcdef", 4) == "abc\u2026"
    assert clip("abc", 4) == "abc"
    assert clip("a\u202eb", 5) == "a\\u202eb"


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200))
def test_any_text_is_bounded_drawable_and_markup_free(text: str, limit: int) -> None:
    out = markup(text, limit)
    assert "<" not in out
    assert ">" not in out
    # Every character survives WinAnsi encoding (what the standard fonts draw).
    out.encode("cp1252")
    assert all(ch >= " " for ch in out)
    # An escape is at most 10 characters per input character, plus the cut note.
    assert len(out) <= 10 * limit + 40
    para = Paragraph(out, styles.CELL)  # parses as markup
    assert para.wrap(100, 10_000)[1] > 0 or not out.strip()
