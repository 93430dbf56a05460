"""What the agent remembers between runs: ``<state_dir>/state.json``.

The last release that verified and was installed (its version and file hashes for the
rollback check, its ``expires`` for the freeze check on a 304, the HTTP validators for
the conditional request, the envelope itself for audit), and the audit rules trails
added to the kernel, so the next run can remove exactly those and nothing else.
Written atomically; a state file that does not parse is refused, never ignored,
because ignoring it would silently drop rollback protection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from trails.agent.files import read_trusted
from trails.errors import UsageError
from trails.fileio import atomic_write

STATE_FORMAT = 1
STATE_FILE = "state.json"
MAX_STATE_BYTES = 8 * 1024 * 1024


class StateError(UsageError):
    """The stored state is unreadable; an operator must look at it."""


class AgentState(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    namespace: str
    version: int
    config_version: str
    expires: str  # RFC 3339 UTC, the installed release's expiry
    files: dict[str, str]  # manifest file name -> sha256 from the signed manifest
    installed: dict[str, str]  # installed path -> sha256 of the bytes written there
    loaded_rules: tuple[str, ...]  # audit rule lines trails loaded into the kernel
    envelope: str  # the verified DSSE envelope, as served
    signer_subject: str
    signer_fingerprint: str
    verified_at: str
    etag: str | None = None
    last_modified: str | None = None
    epoch: int = 0  # the release's epoch (docs/pki.md); part of the rollback floor

    def to_bytes(self) -> bytes:
        doc = self._asdict()
        doc["loaded_rules"] = list(self.loaded_rules)
        doc["format"] = STATE_FORMAT
        return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()


_TYPES: dict[str, type | tuple[type, ...]] = {
    "namespace": str,
    "version": int,
    "config_version": str,
    "expires": str,
    "files": dict,
    "installed": dict,
    "loaded_rules": list,
    "envelope": str,
    "signer_subject": str,
    "signer_fingerprint": str,
    "verified_at": str,
    "etag": (str, type(None)),
    "last_modified": (str, type(None)),
}
# Keys a state written by an older agent may lack, with the value they then have.
_OPTIONAL: dict[str, tuple[type, object]] = {"epoch": (int, 0)}


def parse_state(data: bytes, source: str) -> AgentState:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise StateError(f"{source} is not JSON; inspect it, or remove it to start over") from None
    if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
        raise StateError(f"{source} is not trails state format {STATE_FORMAT}; inspect it")
    doc.pop("format")
    for key, (optional_kind, default) in _OPTIONAL.items():
        value = doc.setdefault(key, default)
        if not isinstance(value, optional_kind) or isinstance(value, bool):
            raise StateError(f"{source}: {key} has the wrong type; inspect it")
    for key, kind in _TYPES.items():
        if key not in doc or not isinstance(doc[key], kind) or isinstance(doc[key], bool):
            raise StateError(f"{source}: {key} is missing or has the wrong type; inspect it")
    if set(doc) - set(_TYPES) - set(_OPTIONAL):
        raise StateError(f"{source} has unknown keys; inspect it")
    for mapping in (doc["files"], doc["installed"]):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise StateError(f"{source}: file hashes must be strings; inspect it")
    if not all(isinstance(r, str) for r in doc["loaded_rules"]):
        raise StateError(f"{source}: loaded_rules must be strings; inspect it")
    doc["loaded_rules"] = tuple(doc["loaded_rules"])
    return AgentState(**doc)


def load_state(state_dir: Path) -> AgentState | None:
    path = state_dir / STATE_FILE
    data = read_trusted(path, MAX_STATE_BYTES)
    return None if data is None else parse_state(data, str(path))


def save_state(state_dir: Path, state: AgentState) -> None:
    atomic_write(state_dir / STATE_FILE, state.to_bytes(), mode=0o600)
