"""The transport against a real loopback server, including hostile ones."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from testkit.server import Fault, Mirror, serve
from trails import __version__
from trails.agent.http import (
    ConnectFailed,
    DeadlineExceeded,
    HTTPStatusError,
    HttpTransport,
    NotModified,
    ProtocolError,
    Response,
    ResponseTooLarge,
    TruncatedResponse,
    UnsupportedURL,
)
from trails.errors import TransportError


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve() as m:
        m.put("ns/file", b"hello world")
        yield m


def fast(**kw: float) -> HttpTransport:
    sleeps: list[float] = []
    t = HttpTransport(
        connect_timeout=kw.get("connect", 2.0),
        total_timeout=kw.get("total", 2.0),
        retries=int(kw.get("retries", 0)),
        sleep=sleeps.append,
    )
    t.sleeps = sleeps  # type: ignore[attr-defined]
    return t


def test_get_returns_body_and_validators(mirror: Mirror) -> None:
    r = fast().get(f"{mirror.base_url}/ns/file", max_bytes=100)
    assert isinstance(r, Response)
    assert r.body == b"hello world"
    assert r.etag
    assert r.etag.startswith('"')
    assert r.last_modified
    assert r.last_modified.endswith("GMT")
    assert mirror.requests[0][1]["user-agent"].startswith("trails/")


def test_conditional_get_gives_not_modified(mirror: Mirror) -> None:
    t = fast()
    first = t.get(f"{mirror.base_url}/ns/file", max_bytes=100)
    assert isinstance(first, Response)
    again = t.get(
        f"{mirror.base_url}/ns/file",
        max_bytes=100,
        etag=first.etag,
        last_modified=first.last_modified,
    )
    assert isinstance(again, NotModified)
    assert again.etag == first.etag
    headers = mirror.requests[1][1]
    assert headers["if-none-match"] == first.etag
    assert headers["if-modified-since"] == first.last_modified
    mirror.put("ns/file", b"changed")
    changed = t.get(f"{mirror.base_url}/ns/file", max_bytes=100, etag=first.etag)
    assert isinstance(changed, Response)
    assert changed.body == b"changed"


def test_exact_max_is_allowed_one_more_is_refused(mirror: Mirror) -> None:
    assert isinstance(fast().get(f"{mirror.base_url}/ns/file", max_bytes=11), Response)
    with pytest.raises(ResponseTooLarge, match="announces 11 bytes; the limit is 10"):
        fast().get(f"{mirror.base_url}/ns/file", max_bytes=10)


def test_unannounced_oversize_is_cut_at_max_plus_one(mirror: Mirror) -> None:
    mirror.faults["ns/file"] = Fault("no-length", b"y" * 5000)
    with pytest.raises(ResponseTooLarge, match="sends more; the limit is 100 bytes"):
        fast().get(f"{mirror.base_url}/ns/file", max_bytes=100)


def test_endless_data_is_refused_quickly(mirror: Mirror) -> None:
    mirror.faults["ns/file"] = Fault("endless")
    start = time.monotonic()
    with pytest.raises(ResponseTooLarge):
        fast().get(f"{mirror.base_url}/ns/file", max_bytes=1 << 20)
    assert time.monotonic() - start < 5


def test_stalled_headers_hit_the_deadline(mirror: Mirror) -> None:
    mirror.faults["ns/file"] = Fault("stall", 30)
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="timed out"):
        fast(connect=0.3, total=0.6).get(f"{mirror.base_url}/ns/file", max_bytes=100)
    assert time.monotonic() - start < 4  # the server stalls for 30 s


def test_trickling_body_hits_the_total_deadline(mirror: Mirror) -> None:
    # Each byte arrives well within the per-read timeout; only the total deadline stops it.
    mirror.faults["ns/file"] = Fault("trickle", 0.05)
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="deadline"):
        fast(connect=1.0, total=0.8).get(f"{mirror.base_url}/ns/file", max_bytes=10**6)
    assert time.monotonic() - start < 4  # the server trickles forever


def test_truncated_body_is_a_transport_error(mirror: Mirror) -> None:
    mirror.faults["ns/file"] = Fault("truncate", 4)
    with pytest.raises(TruncatedResponse, match="after 4 of 11 bytes"):
        fast().get(f"{mirror.base_url}/ns/file", max_bytes=100)


def test_unannounced_short_body_is_returned_for_the_hash_check(mirror: Mirror) -> None:
    mirror.faults["ns/file"] = Fault("no-length", b"hel")
    r = fast().get(f"{mirror.base_url}/ns/file", max_bytes=100)
    assert isinstance(r, Response)
    assert r.body == b"hel"


def test_404_is_not_retried(mirror: Mirror) -> None:
    t = fast(retries=3)
    with pytest.raises(HTTPStatusError, match="HTTP 404") as info:
        t.get(f"{mirror.base_url}/missing", max_bytes=100)
    assert info.value.status == 404
    assert len(mirror.requests) == 1


def test_503_is_retried_with_jitter_then_succeeds(mirror: Mirror) -> None:
    mirror.faults["ns/file"] = Fault("status", 503, times=2)
    t = fast(retries=2)
    r = t.get(f"{mirror.base_url}/ns/file", max_bytes=100)
    assert isinstance(r, Response)
    assert len(mirror.requests) == 3
    sleeps = t.sleeps  # type: ignore[attr-defined]
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.75
    assert 0.5 <= sleeps[1] <= 1.5


def test_retries_give_up(mirror: Mirror) -> None:
    mirror.faults["ns/file"] = Fault("status", 500)
    with pytest.raises(HTTPStatusError, match="HTTP 500"):
        fast(retries=1).get(f"{mirror.base_url}/ns/file", max_bytes=100)
    assert len(mirror.requests) == 2


def test_redirect_is_followed(mirror: Mirror) -> None:
    mirror.faults["old"] = Fault("redirect", "/ns/file")
    r = fast().get(f"{mirror.base_url}/old", max_bytes=100)
    assert isinstance(r, Response)
    assert r.url.endswith("/ns/file")


def test_redirect_to_file_url_is_refused(mirror: Mirror) -> None:
    mirror.faults["old"] = Fault("redirect", "file:///etc/shadow")
    with pytest.raises(UnsupportedURL, match="not http"):
        fast().get(f"{mirror.base_url}/old", max_bytes=100)


def test_redirect_loop_is_bounded(mirror: Mirror) -> None:
    mirror.faults["loop"] = Fault("redirect", "/loop")
    with pytest.raises(ConnectFailed, match="redirects"):
        fast().get(f"{mirror.base_url}/loop", max_bytes=100)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/y", "http:///nohost", "x"])
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedURL):
        fast().get(url, max_bytes=100)


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = fast(retries=1)
    with pytest.raises(ConnectFailed, match="is the server up") as info:
        t.get(f"http://127.0.0.1:{port}/x", max_bytes=10)
    assert isinstance(info.value, TransportError)
    assert "\n" not in str(info.value)
    assert len(t.sleeps) == 1  # type: ignore[attr-defined]


def test_bad_content_length_is_a_transport_error() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def answer() -> None:
        conn, _ = srv.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nabc")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    try:
        with pytest.raises(TransportError):
            fast().get(f"http://127.0.0.1:{srv.getsockname()[1]}/x", max_bytes=10)
    finally:
        srv.close()


def _raw_server(response: bytes, *, tls: ssl.SSLContext | None = None) -> tuple[str, list[bytes]]:
    """One-shot server on 127.0.0.1 answering ``response`` verbatim; returns its URL and
    the request bytes it received."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    seen: list[bytes] = []

    def answer() -> None:
        with srv:
            for _ in range(4):
                conn, _ = srv.accept()
                try:
                    if tls is not None:
                        conn = tls.wrap_socket(conn, server_side=True)
                    request = b""
                    while b"\r\n\r\n" not in request:
                        request += conn.recv(4096)
                    seen.append(request)
                    conn.sendall(response)
                except (OSError, ssl.SSLError):
                    pass
                finally:
                    conn.close()

    threading.Thread(target=answer, daemon=True).start()
    scheme = "https" if tls else "http"
    return f"{scheme}://127.0.0.1:{srv.getsockname()[1]}/ns/x?v=1", seen


def test_chunked_body_and_exact_request_over_a_socket() -> None:
    url, seen = _raw_server(
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: W/"e"\r\n\r\n'
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    r = fast().get(url, max_bytes=11, etag='"old"', last_modified="Tue, 14 Nov 2023 22:13:20 GMT")
    assert isinstance(r, Response)
    assert (r.body, r.etag) == (b"hello world", 'W/"e"')
    host = url.split("/")[2]
    assert (
        seen[0]
        == (
            f"GET /ns/x?v=1 HTTP/1.1\r\nHost: {host}\r\nUser-Agent: trails/{__version__}\r\n"
            'Accept-Encoding: identity\r\nConnection: close\r\nIf-None-Match: "old"\r\n'
            "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n"
        ).encode()
    )


def test_a_validator_with_a_line_break_is_never_sent() -> None:
    url, seen = _raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    r = fast().get(url, max_bytes=10, etag='"x"\r\nX-Injected: 1')
    assert isinstance(r, Response)
    assert b"X-Injected" not in seen[0]
    assert b"If-None-Match" not in seen[0]


def test_a_protocol_error_is_not_retried() -> None:
    url, seen = _raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok")
    with pytest.raises(ProtocolError, match="bad Content-Length"):
        fast(retries=2).get(url, max_bytes=10)
    assert len(seen) == 1


def _tls_pair(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = tmp_path / "cert.pem"
    key_pem = tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_pem, key_pem)
    client = ssl.create_default_context(cafile=str(cert_pem))
    return server, client


def test_https_verifies_the_server_certificate(tmp_path: Path) -> None:
    server, client = _tls_pair(tmp_path)
    url, _ = _raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret", tls=server)
    t = HttpTransport(connect_timeout=2, total_timeout=2, retries=0, ssl_context=client)
    r = t.get(url, max_bytes=10)
    assert isinstance(r, Response)
    assert r.body == b"secret"
    untrusted, _ = _raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno", tls=server)
    with pytest.raises(ConnectFailed, match="CERTIFICATE_VERIFY_FAILED"):
        fast().get(untrusted, max_bytes=10)  # the system CA store does not know this cert


def test_https_redirect_to_plain_http_is_refused(tmp_path: Path) -> None:
    server, client = _tls_pair(tmp_path)
    url, _ = _raw_server(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x\r\nContent-Length: 0\r\n\r\n",
        tls=server,
    )
    t = HttpTransport(connect_timeout=2, total_timeout=2, retries=0, ssl_context=client)
    with pytest.raises(UnsupportedURL, match="redirects to plain http"):
        t.get(url, max_bytes=10)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/x", "http://127.0.0.1/a b", "http://h/\x00"]
)
def test_urls_that_would_break_the_request_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedURL):
        fast().get(url, max_bytes=10)
