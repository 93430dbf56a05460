"""A revoked installed release (docs/agent.md, ``on_revoked``): tell it by today's CRL,
find the archived previous release that still verifies, and keep, restore or remove.

Runs only with a CRL: the verification core and cryptography are imported here, never
on a 304 run without one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trails.agent import previous as archive
from trails.agent.apply import Change, run_reload
from trails.agent.state import STATE_FILE, AgentState
from trails.errors import VerificationError
from trails.formats.manifest import PAYLOAD_TYPE, format_time, parse_time
from trails.verify.errors import InstalledRevokedError, RevocationError

if TYPE_CHECKING:
    from trails.agent.agent import Agent
    from trails.agent.previous import Previous
    from trails.verify.trust import TrustPolicy


def revocation(
    policy: TrustPolicy, now: datetime, state: AgentState, *, strict: bool = False
) -> VerificationError | None:
    """The revocation of the installed release's signer chain by today's CRL, if any.

    ``strict`` (a 304 run): any other refusal of the installed envelope (its signer
    certificate expired, a required CRL is stale) is raised as it is.
    """
    from trails.formats.oids import EKU_CONFIG_SIGNING  # noqa: PLC0415 - cryptography
    from trails.verify.core import verify_dsse  # noqa: PLC0415 - cryptography

    try:
        verify_dsse(state.envelope.encode(), PAYLOAD_TYPE, policy, now, eku=EKU_CONFIG_SIGNING)
    except VerificationError as exc:
        if isinstance(exc, RevocationError):
            return exc
        if strict:
            raise
    return None


def valid_previous(
    state_dir: Path, namespace: str, policy: TrustPolicy, now: datetime
) -> Previous | None:
    """The archived previous release, if it is of this namespace, unexpired and its
    signer chain still verifies (not revoked) today."""
    previous = archive.load_previous(state_dir)
    if previous is None or previous.state.namespace != namespace:
        return None
    if parse_time(previous.state.expires) <= now:
        return None
    try:
        if revocation(policy, now, previous.state, strict=True) is not None:
            return None
    except VerificationError:
        return None
    return previous


def act_on_revoked(
    agent: Agent,
    now: datetime,
    state: AgentState,
    revoked: VerificationError,
    previous: Previous | None,
    *,
    refused: VerificationError | None,
) -> InstalledRevokedError:
    """Apply ``on_revoked`` and return the error that reports it (exit 6)."""
    mode = agent.config.on_revoked
    if mode == "keep":
        done = "kept it (on_revoked: keep)"
    elif mode == "restore_previous" and previous is not None:
        _restore(agent, now, state, previous)
        done = f"restored v{previous.state.version} (on_revoked: restore_previous)"
    else:
        _remove(agent, state)
        done = f"removed its files and audit rules (on_revoked: {mode}, no valid previous)"
        if mode == "remove":
            done = "removed its files and audit rules (on_revoked: remove)"
    also = f"; the offered release was refused too ({refused.check})" if refused else ""
    return InstalledRevokedError(
        f"the installed release {state.namespace} v{state.version} is revoked ({revoked}); "
        f"{done}{also}; publish a release signed by a valid signer"
    )


def _restore(agent: Agent, now: datetime, state: AgentState, previous: Previous) -> None:
    changes = [
        Change(path, data, 0o640 if path == agent.audit_rules else 0o644)
        for path, data in previous.contents.items()
    ]
    # A target the revoked release added (e.g. audit.rules) goes, as on an update.
    changes += [
        Change(target, None)
        for target in (agent.osquery_conf, agent.audit_rules)
        if str(target) in state.installed and target not in previous.contents
    ]
    restored = previous.state._replace(etag=None, last_modified=None, verified_at=format_time(now))
    agent.apply(changes, list(previous.state.loaded_rules), state.loaded_rules, restored)
    archive.drop_previous(agent.state_dir)


def _remove(agent: Agent, state: AgentState) -> None:
    if agent.kernel:
        agent.loader.unload(agent.owned(state.loaded_rules))
    for path in state.installed:
        Path(path).unlink(missing_ok=True)
    run_reload(agent.config.osquery_reload, agent.run_command)
    (agent.state_dir / STATE_FILE).unlink(missing_ok=True)
    archive.drop_previous(agent.state_dir)
