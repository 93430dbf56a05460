"""Downloads for the agent and ``trails verify URL``: bounded in size and in time.

A small interface (``Transport.get``) and one implementation, as in python-tuf's
``FetcherInterface``: the verification core never sees a socket. ``HttpTransport`` is a
minimal HTTP/1.1 client on ``socket`` (one GET per connection, ``Connection: close``);
the response is parsed by ``trails.agent.http_wire`` with bounds on the head and the
body (never more than ``max_bytes + 1`` body bytes are read, so endless data costs
nothing). One deadline (``total_timeout``) covers a whole ``get``: every attempt,
redirect and backoff sleep, and every socket operation waits at most until it, so a
server that stalls, trickles one byte a second or redirects slowly is cut off too. Only
transport errors (refused connection, timeout, 5xx) are retried, with jittered
exponential backoff; an oversized or truncated body is never retried because the mirror
sent what it meant to. A redirect may lead only to the requested URL's origin (scheme,
host and port) or to one of ``redirect_origins``, and never from https to http.

Not ``http.client``/``urllib``: they import the ``email`` package and ``ssl`` even for
plain http, which would double the cost of a ``trails fetch`` that finds nothing new;
``ssl`` is imported here only for an ``https://`` URL.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import urljoin, urlsplit

from trails import __version__
from trails.agent.http_wire import (
    ConnectFailed,
    ProtocolError,
    ResponseReader,
    ResponseTooLarge,
    TruncatedResponse,
)
from trails.errors import TransportError

if TYPE_CHECKING:
    import ssl

__all__ = [
    "ConnectFailed",
    "DeadlineExceeded",
    "HTTPStatusError",
    "HttpTransport",
    "NotModified",
    "ProtocolError",
    "Response",
    "ResponseTooLarge",
    "Transport",
    "TruncatedResponse",
    "UnsupportedURL",
    "check_url",
]

MAX_REDIRECTS = 5
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class UnsupportedURL(TransportError):
    """The URL is not http(s) (no ``file://``, no scheme downgrade on redirect)."""


class DeadlineExceeded(TransportError):
    """The server was too slow: connect timeout or total deadline passed."""


class HTTPStatusError(TransportError):
    """The server answered with a status that is not 200 or 304."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Response(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    url: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


class NotModified(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
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
    """Refuse anything but an absolute http(s) URL with a host and no control characters."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _printable(url):
        raise UnsupportedURL(f"URL {url!r} is not http:// or https://; use a web server URL")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise UnsupportedURL(f"URL {url!r} has a bad port; use a web server URL") from None


def _printable(text: str, *, spaces: bool = False) -> bool:
    # A CR or LF in a URL or validator would inject into the request; a space would
    # break the request line.
    low = " " if spaces else "!"
    return text.isascii() and all(low <= c < "\x7f" for c in text)


class HttpTransport:
    """``Transport`` over a socket, with a connect timeout, a total deadline, size bounds
    and retries."""

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        total_timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 0.5,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
        redirect_origins: Sequence[str] = (),
    ) -> None:
        self.redirect_origins = frozenset(_origin(o) for o in redirect_origins)
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
        deadline = time.monotonic() + self.total_timeout  # for every attempt and redirect
        attempt = 0
        while True:
            try:
                return self._get_following_redirects(url, max_bytes, etag, last_modified, deadline)
            except (ConnectFailed, DeadlineExceeded, HTTPStatusError) as exc:
                retryable = isinstance(exc, DeadlineExceeded) or (
                    exc.status in _RETRY_STATUSES
                    if isinstance(exc, HTTPStatusError)
                    else not isinstance(exc, ProtocolError)
                )
                if not retryable or attempt >= self.retries:
                    raise
                # Jitter (0.5-1.5x) spreads a fleet's retries so a recovering server is
                # not stampeded; os.urandom avoids importing random on the light path.
                jitter = 0.5 + int.from_bytes(os.urandom(2), "big") / 0xFFFF
                pause = self.backoff * (2**attempt) * jitter
                if time.monotonic() + pause >= deadline:  # no time left for another try
                    raise
            self._sleep(pause)
            attempt += 1

    def _get_following_redirects(
        self,
        url: str,
        max_bytes: int,
        etag: str | None,
        last_modified: str | None,
        deadline: float,
    ) -> Response | NotModified:
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            if time.monotonic() >= deadline:
                raise DeadlineExceeded(_slow(url, "following redirects", self.total_timeout))
            result = self._get_once(url, max_bytes, etag, last_modified, deadline)
            if isinstance(result, str):
                target = urljoin(url, result)
                check_url(target)
                if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
                    raise UnsupportedURL(f"{url} redirects to plain http; fix the server")
                if _origin(target) != origin and _origin(target) not in self.redirect_origins:
                    raise UnsupportedURL(
                        f"{url} redirects to another origin {_show_origin(target)}; if that "
                        "is your mirror, add it to redirect_origins in the agent config"
                    )
                url = target
                continue
            return result
        raise ConnectFailed(f"{url}: more than {MAX_REDIRECTS} redirects; fix the server")

    def _request(self, url: str, etag: str | None, last_modified: str | None) -> bytes:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {parts.netloc.rpartition('@')[2]}",
            f"User-Agent: trails/{__version__}",
            "Accept-Encoding: identity",
            "Connection: close",
        ]
        for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)):
            if value and _printable(value, spaces=True):  # else: an unconditional GET
                lines.append(f"{name}: {value}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")

    def _connect(self, url: str, deadline: float) -> socket.socket:
        parts = urlsplit(url)
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        timeout = min(self.connect_timeout, max(deadline - time.monotonic(), 0.001))
        # check_url keeps hosts ASCII; as bytes they skip the idna codec (an import).
        address = (host.encode("ascii"), port)  # getaddrinfo takes bytes; typeshed says str
        sock = socket.create_connection(address, timeout=timeout)  # type: ignore[arg-type]
        if not https:
            return sock
        import ssl  # noqa: PLC0415 - only https pays for TLS

        context = self._ssl_context or ssl.create_default_context()
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            return context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise

    def _get_once(
        self,
        url: str,
        max_bytes: int,
        etag: str | None,
        last_modified: str | None,
        deadline: float,
    ) -> Response | NotModified | str:
        """One request, over by ``deadline``; a ``str`` result is a redirect target."""
        try:
            sock = self._connect(url, deadline)
        except TimeoutError:
            raise DeadlineExceeded(_slow(url, "connecting", self.connect_timeout)) from None
        except (OSError, ValueError) as exc:
            raise ConnectFailed(f"GET {url} failed: {_describe(exc)}; is the server up?") from None

        def recv(size: int) -> bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("total deadline passed")
            sock.settimeout(remaining)
            return sock.recv(size)

        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            sock.sendall(self._request(url, etag, last_modified))
            reader = ResponseReader(recv, url)
            head = reader.head()
            location = head.get("location")
            if head.status in _REDIRECT_STATUSES and location:
                return location
            new_etag = head.get("etag") or None
            new_lm = head.get("last-modified") or None
            if head.status == 304:
                return NotModified(url, new_etag or etag, new_lm or last_modified)
            if head.status != 200:
                raise HTTPStatusError(
                    f"GET {url} answered HTTP {head.status} {head.reason}".rstrip(), head.status
                )
            return Response(url, reader.body(head, max_bytes), new_etag, new_lm)
        except TimeoutError:
            raise DeadlineExceeded(_slow(url, "receiving", self.total_timeout)) from None
        except OSError as exc:
            raise ConnectFailed(f"GET {url} failed: {_describe(exc)}; is the server up?") from None
        finally:
            sock.close()


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, the default port filled in."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def _show_origin(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}"


def _slow(url: str, what: str, limit: float) -> str:
    return f"GET {url} timed out {what} (the deadline is {limit:g}s); check the server or network"


def _describe(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ").strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
