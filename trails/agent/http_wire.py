"""HTTP/1.1 responses as the agent reads them: strict, bounded, and free of sockets.

``ResponseReader`` pulls bytes from a ``recv(n)`` callable (a socket under a deadline in
``trails.agent.http``, a list of byte strings in the tests), so every bound is tested
without a network: the head is at most ``MAX_HEAD_BYTES`` in at most ``MAX_HEADERS``
fields, a body is ``Content-Length``, chunked or read-to-EOF framed and never longer than
the caller's ``max_bytes`` (at most ``max_bytes + 1`` body bytes are ever requested when
the length is not announced). Anything malformed is a ``ProtocolError``: the agent only
talks to file servers, so there is no need to be lenient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from trails.errors import TransportError

CHUNK = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_CHUNK_LINE = 1024
MAX_INTERIM = 5  # 1xx responses skipped before the final one
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HEX = b"0123456789abcdefABCDEF"
_VERSIONS = (b"HTTP/1.0", b"HTTP/1.1")

# Reads up to n bytes; b"" means the server closed the connection.
Recv = Callable[[int], bytes]


class ConnectFailed(TransportError):
    """DNS, TCP, TLS or protocol failure before or while talking to the server."""


class ProtocolError(ConnectFailed):
    """The server's answer is not well-formed HTTP/1.1 (or is framed in a way we refuse)."""


class ResponseTooLarge(TransportError):
    """The body is longer than the caller's maximum (endless data)."""

    size: int | None = None  # the announced Content-Length, when there was one


class TruncatedResponse(TransportError):
    """The connection ended before the body was complete."""


class Head(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    status: int
    reason: str
    headers: dict[str, str]  # lower-case name -> value; repeated fields joined by ", "

    def get(self, name: str) -> str | None:
        return self.headers.get(name)


def parse_head(block: bytes, url: str) -> Head:
    """Parse a status line and header fields (``block`` excludes the final blank line)."""
    lines = block.split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    code, _, reason = rest.partition(b" ")
    if version not in _VERSIONS or len(code) != 3 or not code.isdigit() or code[0] == 0x30:
        raise ProtocolError(f"GET {url}: bad status line {_show(lines[0])}; is it a web server?")
    if len(lines) - 1 > MAX_HEADERS:
        raise ProtocolError(f"GET {url}: more than {MAX_HEADERS} header fields; fix the server")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or not _TOKEN.issuperset(name) or b"\r" in line or b"\n" in line:
            raise ProtocolError(f"GET {url}: bad header field {_show(line)}; fix the server")
        key = name.decode("ascii").lower()
        text = value.strip(b" \t").decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    # The reason phrase ends up in a one-line error on a terminal: printable ASCII only.
    text = "".join(c for c in reason[:80].decode("latin-1") if " " <= c < "\x7f")
    return Head(int(code), text, headers)


def content_length(value: str, url: str) -> int:
    """The announced length; repeated values must agree (RFC 9110 §8.6)."""
    values = {v.strip() for v in value.split(",")}
    if len(values) != 1 or not (text := values.pop()).isdigit() or not text.isascii():
        raise ProtocolError(f"GET {url}: bad Content-Length {value!r}; fix the server")
    return int(text)


class ResponseReader:
    """One response read from ``recv``: ``head()``, then ``body(head, max_bytes)``."""

    def __init__(self, recv: Recv, url: str) -> None:
        self._recv = recv
        self._url = url
        self._buf = bytearray()
        self._eof = False

    def head(self) -> Head:
        """The final response head; interim 1xx responses (``100 Continue``) are skipped."""
        for _ in range(MAX_INTERIM + 1):
            end = self._find(b"\r\n\r\n", MAX_HEAD_BYTES, "response head")
            head = parse_head(bytes(self._buf[:end]), self._url)
            del self._buf[: end + 4]
            if head.status == 101:
                raise ProtocolError(f"GET {self._url}: unrequested protocol switch; fix the server")
            if head.status >= 200:
                return head
        raise ProtocolError(f"GET {self._url}: more than {MAX_INTERIM} interim responses")

    def body(self, head: Head, max_bytes: int) -> bytes:
        """The body, framed as RFC 9112 §6.3 says, refused once past ``max_bytes``."""
        if head.status in (204, 304):
            return b""
        encoding = head.get("transfer-encoding")
        length = head.get("content-length")
        if encoding is not None:
            if length is not None:  # ambiguous framing: the way to smuggle a second body
                raise ProtocolError(f"GET {self._url}: both Transfer-Encoding and Content-Length")
            if encoding.strip().lower() != "chunked":
                raise ProtocolError(f"GET {self._url}: unsupported Transfer-Encoding {encoding!r}")
            return self._chunked(max_bytes)
        if length is not None:
            announced = content_length(length, self._url)
            if announced > max_bytes:
                what = f"announces {announced} bytes"
                error = ResponseTooLarge(too_large(self._url, max_bytes, what))
                error.size = announced
                raise error
            return self._exact(announced)
        while len(self._buf) <= max_bytes and self._fill(max_bytes + 1 - len(self._buf)):
            pass
        if len(self._buf) > max_bytes:
            raise ResponseTooLarge(too_large(self._url, max_bytes, "sends more"))
        return bytes(self._buf)

    def _fill(self, limit: int = CHUNK) -> bool:
        """Read at most ``limit`` more bytes; False at end of stream."""
        if self._eof:
            return False
        data = self._recv(min(limit, CHUNK))
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _find(self, marker: bytes, limit: int, what: str) -> int:
        """Index of ``marker`` in the buffer, reading until it shows up within ``limit``."""
        start = 0
        while (end := self._buf.find(marker, start)) < 0 or end > limit:
            if len(self._buf) > limit + len(marker):
                raise ProtocolError(f"GET {self._url}: {what} over {limit} bytes; fix the server")
            start = max(0, len(self._buf) - len(marker) + 1)
            if not self._fill():
                if what == "response head":
                    raise ConnectFailed(
                        f"GET {self._url}: connection closed before a complete response; "
                        "is the server up?"
                    )
                raise TruncatedResponse(f"GET {self._url}: connection closed in the {what}")
        return end

    def _exact(self, size: int) -> bytes:
        while len(self._buf) < size and self._fill(size - len(self._buf)):
            pass
        if len(self._buf) < size:
            raise TruncatedResponse(
                f"GET {self._url}: connection closed after {len(self._buf)} of {size} bytes; "
                "retry later"
            )
        return bytes(self._buf[:size])

    def _line(self, limit: int, what: str) -> bytes:
        end = self._find(b"\r\n", limit, what)
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    def _chunked(self, max_bytes: int) -> bytes:
        body = bytearray()
        while True:
            size_text = self._line(MAX_CHUNK_LINE, "chunk size").split(b";", 1)[0].strip(b" \t")
            if not size_text or len(size_text) > 16 or size_text.strip(_HEX):
                raise ProtocolError(f"GET {self._url}: bad chunk size {_show(size_text)}")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > max_bytes:
                raise ResponseTooLarge(too_large(self._url, max_bytes, "sends more"))
            body += self._exact(size + 2)
            if body[-2:] != b"\r\n":
                raise ProtocolError(f"GET {self._url}: chunk not followed by CRLF")
            del body[-2:]
            del self._buf[: size + 2]
        for _ in range(MAX_HEADERS + 1):  # trailer fields, ignored
            if not self._line(MAX_HEAD_BYTES, "trailer"):
                return bytes(body)
        raise ProtocolError(f"GET {self._url}: more than {MAX_HEADERS} trailer fields")


def too_large(url: str, max_bytes: int, what: str) -> str:
    return f"GET {url} {what}; the limit is {max_bytes} bytes (endless data refused)"


def _show(data: bytes) -> str:
    return repr(data[:80].decode("latin-1"))
