"""Issue 12 item 4: one deadline per download, and redirects only to the mirror's origin.

A mirror that stalls, and is retried, or that answers every request with a slow redirect
once cost ``(retries + 1) * (redirects + 1) * total_timeout`` (about 18 minutes with the
defaults). Now ``total_timeout`` bounds the whole download: every attempt, redirect and
backoff sleep. A redirect may lead only to the same scheme, host and port unless the
agent config lists the other origin in ``redirect_origins``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest

from testkit.server import Fault, Mirror, serve
from tests.agent.conftest import Host
from trails.agent.http import (
    DeadlineExceeded,
    HTTPStatusError,
    HttpTransport,
    Response,
    UnsupportedURL,
)
from trails.errors import ExitCode, TransportError

pytestmark = pytest.mark.kernel

ENVELOPE = "linux/web/release.dsse.json"


def _configure(h: Host, **settings: object) -> None:
    text = h.config_path.read_text()
    for key, value in settings.items():
        lines = [line for line in text.splitlines() if not line.startswith(f"{key}:")]
        text = "\n".join([*lines, f"{key}: {value}"]) + "\n"
    h.config_path.write_text(text)


def _refused(h: Host, error: type[TransportError], match: str) -> TransportError:
    before = h.snapshot()
    with pytest.raises(error, match=match) as info:
        h.agent().run()
    assert info.value.exit_code == ExitCode.TRANSPORT
    assert "\n" not in str(info.value)
    assert h.snapshot() == before
    con = sqlite3.connect(h.status_db)
    ((result, version),) = con.execute("SELECT last_result, version FROM status").fetchall()
    assert (result, version) == ("transport", "100")
    return info.value


@pytest.fixture
def other_mirror() -> Iterator[Mirror]:
    with serve() as m:
        yield m


def test_retries_share_one_deadline(installed: Host) -> None:
    h = installed
    _configure(h, total_timeout=1, retries=3)
    h.repo.publish(101, h.files(101))
    h.repo.mirror.faults[ENVELOPE] = Fault("stall", 30)
    start = time.monotonic()
    _refused(h, DeadlineExceeded, "timed out")
    # Before: four attempts of 1 s each plus the backoff sleeps.
    assert time.monotonic() - start < 1.8


def test_redirects_share_one_deadline(installed: Host) -> None:
    h = installed
    _configure(h, total_timeout=1.5)
    h.repo.publish(101, h.files(101))
    for hop in range(5):  # each hop answers after 0.6 s; the last one stalls
        h.repo.mirror.faults[f"hop{hop}"] = Fault("slow-redirect", (0.6, f"/hop{hop + 1}"))
    h.repo.mirror.faults["hop5"] = Fault("stall", 30)
    h.repo.mirror.faults[ENVELOPE] = Fault("redirect", "/hop0")
    start = time.monotonic()
    _refused(h, DeadlineExceeded, "timed out")
    # Before: every hop started a fresh 1.5 s deadline (3 s of hops, then 1.5 s more).
    assert time.monotonic() - start < 2.3


def test_backoff_never_sleeps_past_the_deadline(mirror: Mirror) -> None:
    mirror.faults["busy"] = Fault("status", 503)
    t = HttpTransport(connect_timeout=1, total_timeout=1, retries=10, backoff=0.2)
    start = time.monotonic()
    with pytest.raises(HTTPStatusError, match="503"):  # the server's answer, not a timeout
        t.get(f"{mirror.base_url}/busy", max_bytes=10)
    assert time.monotonic() - start < 1.2  # before: 0.2 + 0.4 + 0.8 + ... seconds
    assert len(mirror.requests) > 1  # it did retry


def test_redirect_to_another_host_is_refused(installed: Host) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    port = h.repo.mirror.base_url.rsplit(":", 1)[1]
    elsewhere = f"http://localhost:{port}/{ENVELOPE}"  # same server, another host name
    h.repo.mirror.faults[ENVELOPE] = Fault("redirect", elsewhere, times=1)
    n = len(h.repo.mirror.requests)
    err = _refused(h, UnsupportedURL, "redirect_origins")
    assert "localhost" in str(err)
    assert len(h.repo.mirror.requests) == n + 1  # the other host was never asked


def test_redirect_to_another_port_is_refused(installed: Host, other_mirror: Mirror) -> None:
    h = installed
    h.repo.publish(101, h.files(101))
    other_mirror.files.update(h.repo.mirror.files)
    h.repo.mirror.faults[ENVELOPE] = Fault("redirect", f"{other_mirror.base_url}/{ENVELOPE}")
    _refused(h, UnsupportedURL, "redirect_origins")
    assert other_mirror.requests == []


def test_redirect_to_an_allowed_origin_installs(installed: Host, other_mirror: Mirror) -> None:
    h = installed
    files = h.files(101)
    h.repo.publish(101, files)
    other_mirror.files.update(h.repo.mirror.files)
    h.repo.mirror.faults[ENVELOPE] = Fault("redirect", f"{other_mirror.base_url}/{ENVELOPE}")
    _configure(h, redirect_origins=f"[{other_mirror.base_url}]")
    result = h.agent().run()
    assert (result.outcome, result.version) == ("installed", 101)
    assert other_mirror.paths_requested() == [ENVELOPE]
    assert h.osquery_conf.read_bytes() == files["osquery.conf"]


def test_redirect_within_the_origin_is_followed(mirror: Mirror) -> None:
    mirror.put("ns/file", b"data")
    mirror.faults["old"] = Fault("redirect", f"{mirror.base_url}/ns/file")
    t = HttpTransport(connect_timeout=1, total_timeout=2, retries=0)
    response = t.get(f"{mirror.base_url}/old", max_bytes=10)
    assert isinstance(response, Response)
    assert response.body == b"data"


@pytest.mark.parametrize(
    "value",
    ["[ftp://cdn.example.com]", "[https://cdn.example.com/path]", "https://cdn.example.com"],
)
def test_redirect_origins_must_be_origins(host: Host, value: str) -> None:
    from trails.errors import UsageError

    _configure(host, redirect_origins=value)
    with pytest.raises(UsageError, match="redirect_origins"):
        _ = host.config
