"""A real HTTP file server on 127.0.0.1 that can also misbehave like a hostile mirror.

``Mirror`` serves a dict of path -> bytes with ETag / Last-Modified and honours
conditional requests like nginx does. ``faults`` makes one path stall, trickle, send
endless data, lie about its length, redirect or fail with a status.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    kind: str  # stall | trickle | endless | truncate | status | redirect | no-length
    # | slow-redirect (arg: (seconds, location): waits, then redirects)
    # | chunked | ambiguous | not-modified (a 304 whatever the request asked)
    arg: object = None
    times: int = 1_000_000  # how many requests it affects, then the path serves normally


@dataclass
class Mirror:
    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    mtime: float = 1_700_000_000.0
    base_url: str = ""
    stop: threading.Event = field(default_factory=threading.Event)

    def put(self, path: str, data: bytes) -> None:
        self.files[path.lstrip("/")] = data
        self.mtime += 1

    def paths_requested(self) -> list[str]:
        return [p for p, _ in self.requests]


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.lstrip("/")
            mirror.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
            fault = mirror.faults.get(path)
            if fault is not None and fault.times > 0:
                fault.times -= 1
                self._fault(path, fault)
                return
            data = mirror.files.get(path)
            if data is None:
                self._send(404, b"not found")
                return
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            last_modified = formatdate(mirror.mtime, usegmt=True)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(200, data, {"ETag": etag, "Last-Modified": last_modified})

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _fault(self, path: str, fault: Fault) -> None:
            data = mirror.files.get(path, b"")
            try:
                if fault.kind == "not-modified":
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif fault.kind == "status":
                    self._send(int(str(fault.arg)), b"error")
                elif fault.kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", str(fault.arg))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif fault.kind == "slow-redirect":
                    assert isinstance(fault.arg, tuple), "slow-redirect takes (seconds, location)"
                    delay, location = fault.arg
                    mirror.stop.wait(float(delay))
                    self.send_response(302)
                    self.send_header("Location", str(location))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif fault.kind == "stall":  # headers never come
                    mirror.stop.wait(float(str(fault.arg)))
                elif fault.kind == "trickle":  # a byte at a time, forever
                    self.send_response(200)
                    self.send_header("Content-Length", str(10**6))
                    self.end_headers()
                    while not mirror.stop.wait(float(str(fault.arg))):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                elif fault.kind == "endless":  # no Content-Length, data until cut off
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"A" * 65536
                    while not mirror.stop.is_set():
                        self.wfile.write(chunk)
                elif fault.kind == "truncate":  # announces all, sends part
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: int(str(fault.arg))])
                    self.wfile.flush()
                    self.close_connection = True
                elif fault.kind == "chunked":  # the file chunked, or (arg "endless") forever
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
                    while fault.arg == "endless" and not mirror.stop.is_set():
                        self.wfile.write(b"10000\r\n" + b"C" * 65536 + b"\r\n")
                    self.wfile.write(b"".join(b"%x\r\n%b\r\n" % (len(c), c) for c in chunks))
                    self.wfile.write(b"0\r\n\r\n")
                    self.close_connection = True
                elif fault.kind == "ambiguous":  # chunked AND a Content-Length (smuggling)
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(b"%x\r\n%b\r\n0\r\n\r\n" % (len(data), data))
                    self.close_connection = True
                elif fault.kind == "no-length":  # body ends at close, length unannounced
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    body = data if fault.arg is None else fault.arg
                    assert isinstance(body, bytes), "no-length takes the body as bytes"
                    self.wfile.write(body)
                    self.close_connection = True
                else:
                    raise AssertionError(f"unknown fault {fault.kind}")
            except OSError:  # the client hung up on a hostile response: expected
                pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients cutting off hostile responses is the point of these tests


@contextmanager
def serve(mirror: Mirror | None = None) -> Iterator[Mirror]:
    mirror = mirror or Mirror()
    server = _QuietServer(("127.0.0.1", 0), _handler(mirror))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    mirror.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield mirror
    finally:
        mirror.stop.set()
        server.shutdown()
        server.server_close()
        time.sleep(0)
