"""The regular expressions the engines' dialects share, written once in the syntax RE2
(DuckDB) and java.util.regex (Spark) both read; ``spark.py`` escapes them for Spark SQL's
string literals, where a backslash is an escape character."""

from __future__ import annotations

import re

# to_json escapes control characters with upper-case hex in both engines; json.dumps (the
# reference) with lower case. Only these escapes contain a letter (\b, \t, \n, \f and \r
# have short forms everywhere), so only a text holding ``\u00`` is fixed up, once a line.
UPPER_HEX = ("000B", "000E", "000F", "001A", "001B", "001C", "001D", "001E", "001F")
# trails.report.render.text: control and bidi-override characters become U+FFFD.
INVISIBLE = (
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{fffe}\x{ffff}"
    r"\x{202a}-\x{202e}\x{2066}-\x{2069}\x{200e}\x{200f}\x{61c}]"
)
# A cell that a spreadsheet would read as a formula (trails.report.render.text.csv_cell).
FORMULA = r"^( *[=+\-@]|[\t\r])"
# A cell kept as it is: printable ASCII without comma or quote, not starting with a space
# or a formula character. Most cells are; the full treatment costs three regexes. ``$``
# is the end of the text (RE2); Spark's spelling says ``\z``.
PLAIN_CELL = r"^[!#-*./-<>?A-~][ !#-+.-~-]*$"
# A line's time, as trails reads it (ingest): every reader (DuckDB, Spark, the sample
# reader) checks the text against these before it casts or parses, so they agree on any
# other text. ``unixTime``: osquery writes an integer (older versions, as a string);
# DuckDB reads a number back as a decimal text (1E9 as 1000000000.0). ``calendarTime``:
# asctime's, the day padded with a space (``Thu Apr  6 22:49:54 2017 UTC``).
UNIX_TIME = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
CALENDAR_TIME = (
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" ( [1-9]|0[1-9]|[12][0-9]|3[01]) [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4} UTC$"
)


def java_spelling(pattern: str) -> str:
    """``pattern`` for java.util.regex: its final ``$`` (the end of the text to RE2) is
    ``\\z``, since Java's ``$`` also matches before a final line terminator."""
    return re.sub(r"\$$", r"\\z", pattern)
