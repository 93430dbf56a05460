"""The agent behind ``trails fetch``: download, verify, install, load, record (docs/design.md §6).

Network (``Transport``), disk (``Installer``) and the kernel (``AuditLoader``) sit behind
small interfaces; verification is the pure ``ReleaseVerifier`` fed bytes and one
reference time taken at the start of the run. Nothing is written before every check
passed, and every failure after the first write puts the previous files and rules back.
Every attempt, refused or not, is recorded in the status database.

The 304 path (nothing changed) must stay cheap: it never imports the verification
core or cryptography, which are loaded only when there is a release to verify. For the
same reason the agent's records (config, state, result, HTTP responses, commands) are
``NamedTuple``s rather than frozen dataclasses: building a dataclass costs about 1 ms
at import, and the whole 304 run is budgeted at three interpreter start-ups (issue 4).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from trails.errors import (
    InternalError,
    TrailsError,
    TransportError,
    UsageError,
    VerificationError,
)
from trails.models.manifest import format_time, parse_time
from trails.verify.apply import (
    AuditLoader,
    Backup,
    Change,
    Checkpoint,
    CommandRunner,
    Installer,
    _no_checkpoint,
    rule_lines,
    run_reload,
)
from trails.verify.config import AgentConfig
from trails.verify.errors import FileSizeError, ReleaseExpiredError, SizeError
from trails.verify.files import exclusive_lock, read_optional
from trails.verify.http import NotModified, Response, ResponseTooLarge, Transport
from trails.verify.outcome import AUDIT_RULES, OSQUERY_CONF, FetchResult, status_row
from trails.verify.state import AgentState, load_state, save_state
from trails.verify.statusdb import write_status

if TYPE_CHECKING:
    from trails.verify.core import ReleaseVerifier, VerifiedRelease

ENVELOPE = "release.dsse.json"
LOCK_FILE = "lock"


class NothingToInstall(VerificationError):
    check = "files"


class RollbackIncomplete(TransportError):
    """Applying failed and putting the previous config back failed too: needs a human."""


def rebase(root: Path | None, path: Path) -> Path:
    """``/etc/x`` under ``--root R`` is ``R/etc/x``."""
    return path if root is None else root / path.relative_to(path.anchor)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lazy(module: str) -> ModuleType:
    # The verification core (cryptography) and the audit-rule engine are loaded only
    # when there is a release to verify and install: a 304 run never pays for them.
    return importlib.import_module(module)


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        *,
        transport: Transport,
        loader: AuditLoader,
        root: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> None:
        self.config = config
        self.transport = transport
        self.loader = loader
        self.root = root
        self.clock = clock
        self.state_dir = rebase(root, config.state_dir)
        self.status_db = rebase(root, config.status_db)
        self.osquery_conf = rebase(root, config.osquery_conf)
        self.audit_rules = rebase(root, config.audit_rules)
        self.installer = Installer(self.state_dir, checkpoint)
        self.run_command = CommandRunner(config.command_timeout)
        self.warnings: list[str] = []

    # -- the run ---------------------------------------------------------------------
    def run(self) -> FetchResult:
        # One run at a time (timer and a manual run): the journal and state are ours.
        with exclusive_lock(self.state_dir / LOCK_FILE):
            now = self.clock()  # the one reference time of this run
            state: AgentState | None = None
            try:
                pending_rules = self.installer.recover([self.osquery_conf, self.audit_rules])
                state = load_state(self.state_dir)
                result = self._run(now, state, pending_rules)
            except TrailsError as exc:
                self._record(now, state, None, exc)
                raise
            self._record(now, None, result, None)
            return result

    def _run(
        self, now: datetime, state: AgentState | None, pending_rules: Sequence[str]
    ) -> FetchResult:
        cfg = self.config
        # A state from another namespace (the host was moved) still lists rules to
        # unload, but its version must not block this namespace's releases.
        usable = state is not None and state.namespace == cfg.namespace
        intact = usable and state is not None and self._installed_intact(state)
        response = self._get(
            cfg.url(ENVELOPE),
            cfg.max_envelope_bytes,
            SizeError,
            etag=state.etag if intact and state else None,
            last_modified=state.last_modified if intact and state else None,
        )
        if isinstance(response, NotModified):
            if state is None:  # only a conditional request can get a 304
                raise TransportError(f"{response.url}: 304 to a plain GET; fix the server")
            return self._unchanged(now, state)
        if intact and state is not None and response.body == state.envelope.encode():
            # A server without validators sent the envelope we verified and installed:
            # the same as a 304 (the expiry is still checked).
            return self._unchanged(now, state)
        verifier = self._verifier(now, state if usable else None)
        release: VerifiedRelease = verifier.verify_envelope(response.body)
        manifest = release.manifest
        files = {name: entry.sha256 for name, entry in manifest.files.items()}
        if intact and state is not None and state.files == files:
            # Same files re-signed (e.g. to extend expires): nothing to download or install.
            new_state = self._state(release, response, state.installed, state.loaded_rules, now)
            save_state(self.state_dir, new_state)
            return self._result("renewed", new_state, len(state.loaded_rules))
        contents = self._download(verifier, release)
        changes, rules = self._prepare(contents)
        old_rules = tuple(dict.fromkeys([*(state.loaded_rules if state else ()), *pending_rules]))
        installed = {str(c.target): _sha256(c.data) for c in changes}
        new_state = self._state(release, response, installed, tuple(rules), now)
        self._apply(changes, rules, old_rules, new_state)
        return self._result("installed", new_state, len(rules))

    def _get(
        self,
        url: str,
        max_bytes: int,
        too_large: type[VerificationError],
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response | NotModified:
        try:
            return self.transport.get(
                url, max_bytes=max_bytes, etag=etag, last_modified=last_modified
            )
        except ResponseTooLarge as exc:
            raise too_large(f"{exc}; keep the installed config") from None

    def _body(self, url: str, max_bytes: int, too_large: type[VerificationError]) -> bytes:
        response = self._get(url, max_bytes, too_large)
        if isinstance(response, NotModified):  # no validators were sent
            raise TransportError(f"{url}: 304 to a plain GET; fix the server")
        return response.body

    def _unchanged(self, now: datetime, state: AgentState) -> FetchResult:
        expires = parse_time(state.expires)
        if expires <= now:
            raise ReleaseExpiredError(
                f"FREEZE: the installed release {state.namespace} v{state.version} expired at "
                f"{state.expires} and the server offers nothing newer; the publisher must "
                "re-sign, or the mirror is withholding updates"
            )
        return self._result("unchanged", state, len(state.loaded_rules))

    def _installed_intact(self, state: AgentState) -> bool:
        """Do the installed files still hold what trails wrote (nobody edited them)?"""
        for path, digest in state.installed.items():
            data = read_optional(Path(path), 64 * 1024 * 1024)
            if data is None or _sha256(data) != digest:
                return False
        return True

    def _verifier(self, now: datetime, state: AgentState | None) -> ReleaseVerifier:
        core = _lazy("trails.verify.core")
        trust = _lazy("trails.verify.trust")
        cfg = self.config
        roots_path = rebase(self.root, cfg.roots)
        roots_data = read_optional(roots_path, 4 * 1024 * 1024)
        if roots_data is None:
            raise UsageError(f"roots file {roots_path} does not exist; install the root CA PEM")
        roots = trust.load_roots(roots_data, str(roots_path))
        crls: tuple[Any, ...] = ()
        if cfg.crl_url:
            try:
                crl = self._body(cfg.crl_url, cfg.max_crl_bytes, SizeError)
            except TransportError as exc:
                if cfg.require_crl:
                    raise
                # Optional CRL: verify without it, but say so in the output.
                self.warnings.append(f"CRL not checked: {exc}")
            else:
                crls = trust.load_crls(crl, cfg.crl_url)
        policy = trust.TrustPolicy(roots=roots, crls=crls, require_crl=cfg.require_crl)
        stored = None if state is None else core.StoredState(state.version, dict(state.files))
        verifier: ReleaseVerifier = core.ReleaseVerifier(policy, cfg.namespace, stored, now)
        return verifier

    def _download(self, verifier: ReleaseVerifier, release: VerifiedRelease) -> dict[str, bytes]:
        contents: dict[str, bytes] = {}
        budget = self.config.max_total_bytes
        for name, entry in sorted(release.manifest.files.items()):
            if entry.size > budget:
                raise SizeError(
                    f"release files exceed the agent's max_total_bytes "
                    f"({self.config.max_total_bytes}); raise it if the release is legitimate"
                )
            budget -= entry.size
            data = self._body(self.config.url(name), entry.size, FileSizeError)
            verifier.verify_file(release, name, data)
            contents[name] = data
        return contents

    def _prepare(self, contents: dict[str, bytes]) -> tuple[list[Change], list[str]]:
        """Map release files to install targets; expand audit-rule globs on this host."""
        changes: list[Change] = []
        rules: list[str] = []
        if OSQUERY_CONF in contents:
            changes.append(Change(self.osquery_conf, contents[OSQUERY_CONF], 0o644))
        if AUDIT_RULES in contents:
            rendered: bytes = _lazy("trails.verify.hostrules").expand(
                contents[AUDIT_RULES],
                root=self.root or Path("/"),
                max_rules=self.config.max_audit_rules,
            )
            rules = rule_lines(rendered.decode(), allow_flush=self.config.audit_flush)
            changes.append(Change(self.audit_rules, rendered, 0o640))
        if not changes:
            raise NothingToInstall(
                f"the release lists neither {OSQUERY_CONF} nor {AUDIT_RULES}; fix the build"
            )
        return changes, rules

    def _apply(
        self,
        changes: list[Change],
        rules: list[str],
        old_rules: Sequence[str],
        new_state: AgentState,
    ) -> None:
        backup = self.installer.install(changes, rules)
        reloaded = False
        try:
            self.loader.unload(old_rules)
            self.installer.checkpoint("old-rules-unloaded")
            self.loader.load(self.audit_rules, rules)
            self.installer.checkpoint("rules-loaded")
            run_reload(self.config.osquery_reload, self.run_command)
            reloaded = True
            save_state(self.state_dir, new_state)
        except BaseException as exc:
            problems = self._roll_back(backup, rules, old_rules, reload=reloaded)
            if problems and isinstance(exc, TrailsError):
                raise RollbackIncomplete(
                    f"{exc}; rollback incomplete: {problems[0]}; check the host"
                ) from exc
            raise
        self.installer.finish()

    def _roll_back(
        self, backup: Backup, rules: Sequence[str], old_rules: Sequence[str], *, reload: bool
    ) -> list[str]:
        """Put back the previous files and rules; every step runs, problems are returned."""
        steps: list[Callable[[], None]] = [
            lambda: self.installer.restore(backup),
            lambda: self.loader.unload(rules),
        ]
        if old_rules and self.audit_rules in backup.previous:
            steps.append(lambda: self.loader.load(self.audit_rules, old_rules))
        if reload:  # osquery took the new config: make it read the old one again
            steps.append(lambda: run_reload(self.config.osquery_reload, self.run_command))
        problems = []
        for step in steps:
            try:
                step()
            except TrailsError as exc:
                problems.append(str(exc))
        return problems

    def _state(
        self,
        release: VerifiedRelease,
        response: Response,
        installed: dict[str, str],
        loaded_rules: tuple[str, ...],
        now: datetime,
    ) -> AgentState:
        m = release.manifest
        if m.expires is None:  # the verifier refuses such releases; never install one
            raise InternalError("verified release without expires; report this bug")
        return AgentState(
            namespace=m.namespace,
            version=m.version,
            config_version=m.config_version,
            expires=format_time(m.expires),
            files={name: entry.sha256 for name, entry in m.files.items()},
            installed=installed,
            loaded_rules=loaded_rules,
            envelope=response.body.decode("utf-8"),
            signer_subject=release.signer_subject,
            signer_fingerprint=release.signer_fingerprint,
            verified_at=format_time(now),
            etag=response.etag,
            last_modified=response.last_modified,
        )

    def _result(self, outcome: str, state: AgentState, rules: int) -> FetchResult:
        return FetchResult(
            outcome=outcome,
            namespace=state.namespace,
            version=state.version,
            config_version=state.config_version,
            expires=state.expires,
            signer_subject=state.signer_subject,
            signer_fingerprint=state.signer_fingerprint,
            installed=dict(state.installed),
            audit_rules_loaded=rules,
            warnings=tuple(self.warnings),
        )

    # -- status ----------------------------------------------------------------------
    def _record(
        self,
        now: datetime,
        state: AgentState | None,
        result: FetchResult | None,
        error: TrailsError | None,
    ) -> None:
        """Write the status row (and the kernel's rules); never hides the original error."""
        if result is not None:
            current = load_state(self.state_dir)
        else:
            try:
                current = state or load_state(self.state_dir)
            except TrailsError:
                current = None
        row = status_row(
            now,
            current,
            result,
            error,
            osquery_conf=self.osquery_conf,
            audit_rules=self.audit_rules,
        )
        try:
            kernel_rules: list[str] | None = self.loader.list_rules()
        except TrailsError:
            kernel_rules = None
        with contextlib.suppress(TrailsError):  # else empty: unknown, read as not locked
            row["audit_enabled"] = self.loader.audit_enabled()
        try:
            write_status(self.status_db, row, kernel_rules, format_time(now))
        except TrailsError:
            if error is None:
                raise
