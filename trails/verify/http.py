"""Downloads for the agent and ``trails verify URL``: bounded in size and in time.

A small interface (``Transport.get``) and one stdlib implementation, as in python-tuf's
``FetcherInterface``: the verification core never sees a socket. Every GET has a maximum
length (never more than ``max_bytes + 1`` bytes are read, so endless data costs nothing),
a connect timeout, and a total deadline enforced by a watchdog that shuts the socket
down, so a server that trickles one byte a second is cut off too. Only transport errors
(refused connection, timeout, 5xx) are retried, with jittered exponential backoff; an
oversized or truncated body is never retried because the mirror sent what it meant to.

Built on ``http.client`` (urllib's own engine) rather than ``urllib.request``: the
deadline needs the socket, and the agent must stay light.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from trails import __version__
from trails.errors import TransportError

CHUNK = 64 * 1024
MAX_REDIRECTS = 5
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class UnsupportedURL(TransportError):
    """The URL is not http(s) (no ``file://``, no scheme downgrade on redirect)."""


class ConnectFailed(TransportError):
    """DNS, TCP, TLS or protocol failure before or while talking to the server."""


class DeadlineExceeded(TransportError):
    """The server was too slow: connect timeout or total deadline passed."""


class HTTPStatusError(TransportError):
    """The server answered with a status that is not 200 or 304."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ResponseTooLarge(TransportError):
    """The body is longer than the caller's maximum (endless data)."""


class TruncatedResponse(TransportError):
    """The connection ended before the announced ``Content-Length``."""


@dataclass(frozen=True)
class Response:
    url: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class NotModified:
    """304: the server says the resource is unchanged since ``etag``/``last_modified``."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


class Transport(Protocol):
    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response | NotModified: ...


def check_url(url: str) -> None:
    """Refuse anything but an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsupportedURL(f"URL {url!r} is not http:// or https://; use a web server URL")


class HttpTransport:
    """``Transport`` over ``http.client`` with timeouts, size bounds and retries."""

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        total_timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 0.5,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.total_timeout = total_timeout
        self.retries = retries
        self.backoff = backoff
        self._ssl_context = ssl_context
        self._sleep = sleep

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response | NotModified:
        check_url(url)
        attempt = 0
        while True:
            try:
                return self._get_following_redirects(url, max_bytes, etag, last_modified)
            except (ConnectFailed, DeadlineExceeded, HTTPStatusError) as exc:
                retryable = not isinstance(exc, HTTPStatusError) or exc.status in _RETRY_STATUSES
                if not retryable or attempt >= self.retries:
                    raise
            # Jitter spreads a fleet's retries so a recovering server is not stampeded.
            self._sleep(self.backoff * (2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311
            attempt += 1

    def _get_following_redirects(
        self, url: str, max_bytes: int, etag: str | None, last_modified: str | None
    ) -> Response | NotModified:
        for _ in range(MAX_REDIRECTS + 1):
            result = self._get_once(url, max_bytes, etag, last_modified)
            if isinstance(result, str):
                target = urljoin(url, result)
                check_url(target)
                if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
                    raise UnsupportedURL(f"{url} redirects to plain http; fix the server")
                url = target
                continue
            return result
        raise ConnectFailed(f"{url}: more than {MAX_REDIRECTS} redirects; fix the server")

    def _connection(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            context = self._ssl_context or ssl.create_default_context()
            conn = http.client.HTTPSConnection(
                host, parts.port, timeout=self.connect_timeout, context=context
            )
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=self.connect_timeout)
        path = parts.path or "/"
        return conn, f"{path}?{parts.query}" if parts.query else path

    def _get_once(
        self, url: str, max_bytes: int, etag: str | None, last_modified: str | None
    ) -> Response | NotModified | str:
        """One request; a ``str`` result is a redirect target."""
        conn, target = self._connection(url)
        headers = {"User-Agent": f"trails/{__version__}", "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.total_timeout
        expired = threading.Event()
        watchdog = threading.Timer(self.total_timeout, _cut_off, (conn, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("GET", target, headers=headers)
            resp = conn.getresponse()
            status = resp.status
            if status in _REDIRECT_STATUSES and resp.getheader("Location"):
                return resp.getheader("Location", "")
            new_etag = resp.getheader("ETag") or None
            new_lm = resp.getheader("Last-Modified") or None
            if status == 304:
                return NotModified(url, new_etag or etag, new_lm or last_modified)
            if status != 200:
                raise HTTPStatusError(f"GET {url} answered HTTP {status} {resp.reason}", status)
            body = _read_bounded(resp, url, max_bytes, deadline, expired)
            return Response(url, body, new_etag, new_lm)
        except TransportError:
            raise
        except TimeoutError as exc:
            raise DeadlineExceeded(_slow(url, self.total_timeout, exc)) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set():
                raise DeadlineExceeded(_slow(url, self.total_timeout, exc)) from None
            raise ConnectFailed(f"GET {url} failed: {_describe(exc)}; is the server up?") from None
        finally:
            watchdog.cancel()
            conn.close()


def _read_bounded(
    resp: http.client.HTTPResponse,
    url: str,
    max_bytes: int,
    deadline: float,
    expired: threading.Event,
) -> bytes:
    length_header = resp.getheader("Content-Length")
    announced: int | None = None
    if length_header is not None:
        try:
            announced = int(length_header)
        except ValueError:
            raise ConnectFailed(f"GET {url}: bad Content-Length {length_header!r}") from None
        if announced > max_bytes:
            raise ResponseTooLarge(_too_large(url, max_bytes, f"announces {announced} bytes"))
    chunks: list[bytes] = []
    received = 0
    while received <= max_bytes:
        chunk = resp.read1(min(CHUNK, max_bytes + 1 - received))
        # The watchdog's shutdown looks like EOF to the reader: check the clock too.
        if expired.is_set() or time.monotonic() > deadline:
            raise DeadlineExceeded(
                f"GET {url}: body not received within the deadline; check the server or network"
            )
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if received > max_bytes:
        raise ResponseTooLarge(_too_large(url, max_bytes, "sends more"))
    if announced is not None and received < announced:
        raise TruncatedResponse(
            f"GET {url}: connection closed after {received} of {announced} bytes; retry later"
        )
    return b"".join(chunks)


def _cut_off(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    """Watchdog: end a request that outlived its total deadline by shutting its socket."""
    expired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _slow(url: str, limit: float, exc: BaseException) -> str:
    return f"GET {url} timed out ({_describe(exc)}, limit {limit:g}s); check the server or network"


def _too_large(url: str, max_bytes: int, what: str) -> str:
    return f"GET {url} {what}; the limit is {max_bytes} bytes (endless data refused)"


def _describe(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ").strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
