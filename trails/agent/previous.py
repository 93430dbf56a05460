"""The release installed before the current one: ``<state_dir>/previous.json``.

Kept so that a revoked release can be replaced by the last release verified before it
(``on_revoked: restore_previous``, docs/agent.md) without a download: its agent state
(envelope included, so it is verified again before use) and the bytes that were
installed. Loaded only on an install or a revocation, never on a plain 304 run.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from trails.agent.files import read_trusted
from trails.agent.state import AgentState, StateError, parse_state
from trails.fileio import atomic_write

PREVIOUS_FILE = "previous.json"
MAX_PREVIOUS_BYTES = 256 * 1024 * 1024


class Previous(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    state: AgentState
    contents: dict[Path, bytes]  # installed path -> the bytes trails wrote there


def save_previous(state_dir: Path, state: AgentState, contents: Mapping[Path, bytes]) -> None:
    doc = {
        "state": json.loads(state.to_bytes()),
        "contents": {str(p): base64.b64encode(d).decode() for p, d in contents.items()},
    }
    atomic_write(state_dir / PREVIOUS_FILE, json.dumps(doc).encode(), mode=0o600)


def drop_previous(state_dir: Path) -> None:
    (state_dir / PREVIOUS_FILE).unlink(missing_ok=True)


def load_previous(state_dir: Path) -> Previous | None:
    """The archived release, or None when there is none or it is not intact."""
    path = state_dir / PREVIOUS_FILE
    data = read_trusted(path, MAX_PREVIOUS_BYTES)
    if data is None:
        return None
    try:
        doc = json.loads(data)
        state = parse_state(json.dumps(doc["state"]).encode(), str(path))
        contents = {Path(p): base64.b64decode(d, validate=True) for p, d in doc["contents"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, StateError):
        return None
    digests = {str(p): hashlib.sha256(d).hexdigest() for p, d in contents.items()}
    return Previous(state, contents) if digests == state.installed else None
