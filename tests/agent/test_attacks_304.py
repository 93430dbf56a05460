"""Issue 12 item 2: a 304 to an unconditional request is not "unchanged".

The agent sends If-None-Match / If-Modified-Since only when it has an intact install of
this namespace. A mirror that answers 304 anyway must get a transport error (exit 4)
that names the local damage, never exit 0, and nothing is written.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from testkit.server import Fault
from tests.agent.conftest import Host
from trails.errors import ExitCode, TransportError

pytestmark = pytest.mark.kernel

ENVELOPE = "linux/web/release.dsse.json"


def _always_304(h: Host, path: str = ENVELOPE) -> None:
    h.repo.mirror.faults[path] = Fault("not-modified")


def _result(h: Host) -> str:
    con = sqlite3.connect(h.status_db)
    ((result,),) = con.execute("SELECT last_result FROM status").fetchall()
    return str(result)


def test_304_after_local_damage_is_a_transport_error(installed: Host) -> None:
    h = installed
    h.osquery_conf.write_bytes(b'{"options": {}}\n')  # someone edited the installed file
    _always_304(h)
    before = h.snapshot()
    with pytest.raises(TransportError, match="304 to an unconditional request") as info:
        h.agent().run()
    assert info.value.exit_code == ExitCode.TRANSPORT
    assert str(h.osquery_conf) in str(info.value)  # the damage is named
    assert "\n" not in str(info.value)
    assert h.snapshot() == before
    assert _result(h) == "transport"
    headers = h.repo.mirror.requests[-1][1]
    assert "if-none-match" not in headers
    assert "if-modified-since" not in headers


def test_304_after_a_namespace_move_is_a_transport_error(installed: Host) -> None:
    h = installed
    h.config_path.write_text(h.config_path.read_text().replace("linux/web", "linux/db"))
    _always_304(h, "linux/db/release.dsse.json")
    before = h.snapshot()
    with pytest.raises(TransportError, match="namespace") as info:
        h.agent().run()
    assert "linux/web" in str(info.value)
    assert "linux/db" in str(info.value)
    assert h.snapshot() == before
    assert _result(h) == "transport"


def test_304_without_state_is_a_transport_error(host: Host) -> None:
    h = host
    h.repo.publish(100, h.files(100))
    _always_304(h)
    with pytest.raises(TransportError, match="304 to an unconditional request"):
        h.agent().run()
    assert not h.state_file.exists()
    assert _result(h) == "transport"


def test_304_to_a_state_without_validators_is_a_transport_error(installed: Host) -> None:
    h = installed
    doc = json.loads(h.state_file.read_text())
    doc["etag"] = None
    doc["last_modified"] = None
    h.state_file.write_text(json.dumps(doc))
    _always_304(h)
    with pytest.raises(TransportError, match="304 to an unconditional request"):
        h.agent().run()
    assert _result(h) == "transport"
