"""The HTTP/1.1 response parser, fed bytes in arbitrary pieces (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trails.agent.http_wire import (
    CHUNK,
    MAX_HEAD_BYTES,
    MAX_HEADERS,
    ConnectFailed,
    Head,
    ProtocolError,
    ResponseReader,
    ResponseTooLarge,
    TruncatedResponse,
    parse_head,
)
from trails.errors import TransportError

URL = "http://mirror.test/ns/release.dsse.json"
TOKEN = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~", min_size=1)
VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)
FRAMING = st.sampled_from(["length", "chunked", "eof"])


class Source:
    """A recv() over fixed bytes, cut into the given piece sizes; counts what was read."""

    def __init__(self, data: bytes, pieces: list[int] | None = None) -> None:
        self.data = data
        self.pos = 0
        self.pieces = iter(pieces or [])

    def recv(self, size: int) -> bytes:
        assert size > 0
        piece = min(size, next(self.pieces, size))
        out = self.data[self.pos : self.pos + max(piece, 1)]
        self.pos += len(out)
        return out


def frame(
    status: int, headers: list[tuple[str, str]], body: bytes, framing: str, cuts: list[int]
) -> bytes:
    lines = [f"HTTP/1.1 {status} Reason Phrase".encode()]
    lines += [f"{k}: {v}".encode() for k, v in headers]
    if framing == "length":
        lines.append(f"Content-Length: {len(body)}".encode())
        payload = body
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked")
        payload = b""
        start = 0
        for cut in [*sorted({c % (len(body) + 1) for c in cuts}), len(body)]:
            if cut > start:
                payload += b"%x;ext=1\r\n%b\r\n" % (cut - start, body[start:cut])
                start = cut
        payload += b"0\r\nTrailer-Field: x\r\n\r\n"
    else:
        payload = body
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def read(data: bytes, max_bytes: int, pieces: list[int] | None = None) -> tuple[Head, bytes]:
    reader = ResponseReader(Source(data, pieces).recv, URL)
    head = reader.head()
    return head, reader.body(head, max_bytes)


@settings(max_examples=300, deadline=None)
@given(
    status=st.integers(200, 599).filter(lambda s: s not in (204, 304)),
    headers=st.lists(st.tuples(TOKEN, VALUE), max_size=10).map(
        lambda hs: [
            (k, v) for k, v in hs if k.lower() not in ("content-length", "transfer-encoding")
        ]
    ),
    body=st.binary(max_size=3000),
    framing=FRAMING,
    cuts=st.lists(st.integers(0, 3000), max_size=8),
    pieces=st.lists(st.integers(1, 700), max_size=30),
)
def test_well_formed_responses_round_trip(
    *,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    framing: str,
    cuts: list[int],
    pieces: list[int],
) -> None:
    head, got = read(frame(status, headers, body, framing, cuts), len(body), pieces)
    assert head.status == status
    assert head.reason == "Reason Phrase"
    assert got == body
    for key, value in headers:
        assert value.strip() in (head.get(key.lower()) or "")


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=2000),
    framing=st.sampled_from(["length", "chunked"]),
    cuts=st.lists(st.integers(0, 2000), max_size=5),
    data=st.data(),
)
def test_every_truncation_is_refused(
    body: bytes, framing: str, cuts: list[int], data: st.DataObject
) -> None:
    whole = frame(200, [], body, framing, cuts)
    end = data.draw(st.integers(0, len(whole) - 1))
    with pytest.raises((TruncatedResponse, ConnectFailed)):
        read(whole[:end], len(body))


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=2000),
    framing=FRAMING,
    cuts=st.lists(st.integers(0, 2000), max_size=5),
    data=st.data(),
)
def test_a_body_over_the_limit_is_refused(
    body: bytes, framing: str, cuts: list[int], data: st.DataObject
) -> None:
    limit = data.draw(st.integers(0, len(body) - 1))
    with pytest.raises(ResponseTooLarge, match=f"the limit is {limit} bytes"):
        read(frame(200, [], body, framing, cuts), limit)


@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=400), pieces=st.lists(st.integers(1, 50), max_size=20))
def test_garbage_is_a_transport_error_or_a_bounded_body(data: bytes, pieces: list[int]) -> None:
    try:
        _, body = read(data, 100, pieces)
    except TransportError:
        return
    assert len(body) <= 100


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.0 200 OK\r\n"]),
    lines=st.lists(st.binary(max_size=30), max_size=6),
)
def test_parse_head_accepts_only_token_names_and_one_line_values(
    prefix: bytes, lines: list[bytes]
) -> None:
    block = prefix + b"\r\n".join(lines)
    try:
        head = parse_head(block.rstrip(b"\r\n") if not lines else block, URL)
    except ProtocolError:
        return
    for name, value in head.headers.items():
        assert name == name.lower()
        assert "\r" not in value
        assert "\n" not in value


def endless(head: bytes) -> Iterator[bytes]:
    yield head
    while True:
        yield b"A" * 100_000


def test_endless_data_reads_at_most_the_limit_plus_one() -> None:
    chunks = endless(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    pending = bytearray()
    consumed = 0

    def recv(size: int) -> bytes:
        nonlocal consumed
        while len(pending) < size:
            pending.extend(next(chunks))
        out = bytes(pending[:size])
        del pending[:size]
        consumed += len(out)
        return out

    reader = ResponseReader(recv, URL)
    head = reader.head()
    with pytest.raises(ResponseTooLarge, match="sends more"):
        reader.body(head, 1000)
    assert consumed <= CHUNK + 1001


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (b"HTTP/2 200 OK\r\n\r\n", "bad status line"),
        (b"HTTP/1.1 20 OK\r\n\r\n", "bad status line"),
        (b"HTTP/1.1 099 OK\r\n\r\n", "bad status line"),
        (b"ICY 200 OK\r\n\r\n", "bad status line"),
        (b"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", "bad header field"),
        (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "bad header field"),
        (b"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", "bad header field"),
        (b"HTTP/1.1 200 OK\r\nA: b\nX: c\r\n\r\n", "bad header field"),
        (b"HTTP/1.1 101 Switching\r\n\r\n", "protocol switch"),
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 6 + b"HTTP/1.1 200 OK\r\n\r\n", "interim"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nab", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nab", "bad Content-Length"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            "both Transfer-Encoding and Content-Length",
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nab\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n", "CRLF"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 2000 + b"\r\n",
            "chunk size over",
        ),
    ],
)
def test_malformed_responses_are_protocol_errors(response: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        read(response, 100)


def test_head_size_and_field_count_are_bounded() -> None:
    many = b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n"
    with pytest.raises(ProtocolError, match=f"more than {MAX_HEADERS} header fields"):
        read(many, 10)
    huge = b"HTTP/1.1 200 OK\r\nX: " + b"y" * MAX_HEAD_BYTES
    source = Source(huge + b"z" * 10**6)
    with pytest.raises(ProtocolError, match="response head over"):
        ResponseReader(source.recv, URL).head()
    assert source.pos <= MAX_HEAD_BYTES + 2 * CHUNK
    trailers = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"T: x\r\n" * 200
    with pytest.raises(ProtocolError, match="trailer fields"):
        read(trailers, 10)


def test_interim_responses_are_skipped_and_304_has_no_body() -> None:
    head, body = read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\nxx", 10)
    assert (head.status, body) == (304, b"")
    head, body = read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabEXTRA", 10)
    assert body == b"ab"  # bytes after the announced length are not the body


def test_repeated_fields_are_joined_and_equal_lengths_accepted() -> None:
    head, body = read(
        b"HTTP/1.1 200 OK\r\nVia: a\r\nvia: b\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
        10,
    )
    assert head.get("via") == "a, b"
    assert body == b"ab"


def test_connection_closed_before_the_head_is_a_connect_failure() -> None:
    with pytest.raises(ConnectFailed, match="before a complete response"):
        read(b"HTTP/1.1 200 OK\r\nContent-", 10)
    with pytest.raises(TruncatedResponse, match="in the chunk size"):
        read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1", 10)


def test_the_reason_phrase_is_printable_and_short() -> None:
    head = parse_head(b"HTTP/1.1 503 \x1b[31mred\x07 " + b"x" * 200, URL)
    assert head.reason == "[31mred " + "x" * 70  # 80 bytes, two of them control codes
