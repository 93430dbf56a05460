"""Reading a results file by its content: a gzip stream that breaks ends in one marker,
after exactly the lines before the break; a file whose content is not what its name
says is found."""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.report.pseudo_files import SHORT
from trails.errors import TransportError
from trails.report.logfile import MAX_LINE_BYTES, lines, misread, open_results, readable_copy

LINES = [b'{"name": "trails.control.c%d", "unixTime": %d}' % (i, i) for i in range(2000)]
DATA = b"".join(raw + b"\n" for raw in LINES)
GZ = gzip.compress(DATA, mtime=0)
LONG_LINE = DATA + b"x" * (MAX_LINE_BYTES + 1) + b"\n" + DATA


def _flagged(flags: int, fields: bytes = b"") -> bytes:
    """DATA in a gzip stream whose header sets ``flags`` (``fields`` after it), which
    gzip -d and Python read."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(DATA) + deflate.flush()
    header = b"\x1f\x8b\x08" + bytes([flags]) + bytes(4) + b"\x00\xff" + fields
    return header + body + struct.pack("<II", zlib.crc32(DATA), len(DATA))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _read(data: bytes) -> list[bytes | None]:
    with open_results(io.BufferedReader(io.BytesIO(data))) as stream:
        return list(lines(stream))


def _misread(name: str, data: bytes) -> bool:
    return misread(name, io.BufferedReader(io.BytesIO(data)))


@given(
    st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")), max_size=60),
    st.data(),
)
def test_a_cut_gzip_stream_gives_the_lines_before_the_cut_then_the_break(
    texts: list[bytes], data: st.DataObject
) -> None:
    whole = gzip.compress(b"".join(t + b"\n" for t in texts), mtime=0)
    cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
    # the check (ISA-L) agrees with the reader (Python's gzip)
    assert _misread("x.log.gz", whole[:cut])
    assert not _misread("x.log.gz", whole)
    got = _read(whole[:cut])
    if cut < 2:  # not even the magic: read as the plain bytes it holds
        assert got == ([whole[:cut]] if cut else [])
        return
    assert got[-1] is None
    kept = [t.rstrip(b"\r") for t in texts]
    assert got[:-1] == kept[: len(got) - 1]


def test_a_whole_gzip_stream_and_several_members_read_whole() -> None:
    texts = [raw.rstrip(b"\r") for raw in LINES]
    assert _read(GZ) == texts
    assert _read(GZ + gzip.compress(DATA)) == texts + texts
    assert _read(DATA) == texts


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("x.log", GZ, id="gzip-content-not-named-gz"),
        pytest.param("x.log.gz", DATA, id="plain-text-named-gz"),
        pytest.param("x.log.gz", GZ[: len(GZ) // 2], id="truncated"),
        pytest.param("x.log.gz", GZ[:-1], id="truncated-in-the-trailer"),
        pytest.param("x.log.gz", _flip(GZ, len(GZ) - 8), id="bad-crc"),
        pytest.param("x.log.gz", _flip(GZ, len(GZ) - 4), id="bad-size"),
        pytest.param("x.log.gz", _flip(GZ, len(GZ) // 2), id="bad-data"),
        pytest.param("x.log.gz", GZ + b"not gzip", id="garbage-after-the-stream"),
        pytest.param("x.log.gz", GZ + bytes(1024), id="zero-padding"),  # DuckDB, Hadoop refuse
        pytest.param("x.log.gz", _flagged(0x10, b"a comment\0"), id="fcomment"),  # DuckDB
        pytest.param("x.log.gz", _flagged(0x01), id="ftext"),  # refuses these headers
        pytest.param("x.log.gz", GZ + _flagged(0x02, b"\0\0"), id="fhcrc-second-member"),
        pytest.param("x.log", LONG_LINE, id="a-line-over-the-limit"),
        pytest.param("x.log.gz", gzip.compress(LONG_LINE, mtime=0), id="a-gzip-line-over-it"),
        pytest.param("x.log.GZ", GZ, id="gzip-named-GZ"),  # Hadoop's name rule is exact
    ],
)
def test_what_the_engines_would_misread_is_found(name: str, data: bytes) -> None:
    assert _misread(name, data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("x.log.gz", GZ),
        ("x.log.gz", GZ + gzip.compress(DATA)),  # two members, as `cat a.gz b.gz` makes
        ("x.log", DATA),
        ("x.log", b""),
        ("x.log.gz.1", DATA),  # rotated: the name ends .1
        ("x.log", b"x" * MAX_LINE_BYTES + b"\n" + DATA),  # at the limit
    ],
)
def test_what_the_engines_read_right_is_left(name: str, data: bytes) -> None:
    assert not _misread(name, data)


def test_the_copy_marks_the_break_as_a_line_that_is_not_an_object(tmp_path: Path) -> None:
    cut = GZ[: len(GZ) // 2]
    copy = readable_copy("r.log", io.BufferedReader(io.BytesIO(cut)), tmp_path / "copy.log")
    copied = copy.read_bytes().splitlines()
    read = _read(cut)
    assert copied[:-1] == read[:-1]
    assert copied[-1] == b'"trails: the gzip stream broke here"'
    assert 0 < len(copied) - 1 < len(LINES)


def test_the_copy_of_a_stream_with_a_bad_crc_keeps_lines_before_the_check(
    tmp_path: Path,
) -> None:
    bad = _flip(GZ, len(GZ) - 8)  # every line inflates; the CRC then fails
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(bad)
    copy = readable_copy("r.log", io.BufferedReader(io.BytesIO(bad)), tmp_path / "copy.log")
    *kept, marker = copy.read_bytes().splitlines()
    assert marker == b'"trails: the gzip stream broke here"'
    assert kept == LINES  # each line inflated before the check
    assert zlib.crc32(DATA) != int.from_bytes(bad[-8:-4], "little")


def test_the_copy_of_a_padded_stream_is_its_lines(tmp_path: Path) -> None:
    copy = readable_copy(
        "r.log", io.BufferedReader(io.BytesIO(GZ + bytes(1024))), tmp_path / "c.log"
    )
    assert copy.read_bytes() == DATA


@pytest.mark.parametrize("flags", [0x01, 0x10 | 0x08])
def test_a_header_duckdb_refuses_is_read_by_the_copy(tmp_path: Path, flags: int) -> None:
    fields = b"x.log\0a comment\0" if flags & 0x08 else b""
    data = _flagged(flags, fields)
    assert gzip.decompress(data) == DATA
    copy = readable_copy("r.log", io.BufferedReader(io.BytesIO(data)), tmp_path / "c.log")
    assert copy.read_bytes() == DATA


class _Rotated(io.FileIO):
    """A file a logger cuts to nothing (``copytruncate``) or appends to while it is read."""

    def __init__(self, path: Path, change: bytes | None) -> None:
        super().__init__(path, "rb")
        self._path, self._change = path, change

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = super().readinto(buffer)
        if self._change is None:
            os.truncate(self._path, 0)
        elif self._change:  # once
            with self._path.open("ab") as f:
                f.write(self._change)
            self._change = b""
        return n or 0


@pytest.mark.parametrize("name", ["r.log", "r.log.gz"])
def test_a_file_cut_while_it_is_checked_says_to_run_again(tmp_path: Path, name: str) -> None:
    """Regression (review): a log truncated during the check was copied as it was then
    (empty): its lines were lost without a word."""
    data = b"".join(b'{"name":"x","n":%d}\n' % n for n in range(200_000))  # several chunks
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(TransportError, match=r"r\.log.* changed while it was read"):
        misread(str(path), io.BufferedReader(_Rotated(path, None)))


def test_a_file_cut_while_it_is_copied_says_to_run_again(tmp_path: Path) -> None:
    """Regression (review): the copy kept the lines read before the cut, and said nothing."""
    path = tmp_path / "r.log"
    path.write_bytes(b"".join(b'{"name":"x","n":%d}\n' % n for n in range(200_000)))
    with pytest.raises(TransportError, match=r"r\.log changed while it was read"):
        readable_copy("r.log", io.BufferedReader(_Rotated(path, None)), tmp_path / "c.log")


def test_a_file_appended_to_while_it_is_checked_is_read_as_usual(tmp_path: Path) -> None:
    data = b"".join(b'{"name":"x","n":%d}\n' % n for n in range(200_000))
    path = tmp_path / "r.log"
    path.write_bytes(data)
    assert not misread(str(path), io.BufferedReader(_Rotated(path, b'{"name":"y"}\n')))


def test_a_file_holding_less_than_its_size_says_is_misread() -> None:
    """A sysfs attribute says 4096 bytes and holds a few: DuckDB stopped at it."""
    assert 0 < len(SHORT.read_bytes()) < SHORT.stat().st_size, f"pick another file than {SHORT}"
    assert misread("short.log", io.BufferedReader(io.FileIO(SHORT, "rb")))
