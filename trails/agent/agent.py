"""The agent behind ``trails fetch``: download, verify, install, load, record (docs/design.md §6).

Network (``Transport``), disk (``Installer``) and the kernel (``AuditLoader``) sit behind
small interfaces; verification is the pure ``ReleaseVerifier`` fed bytes and one
reference time taken at the start of the run. Nothing is written before every check
passed, and every failure after the first write puts the previous files and rules back.
Every attempt, refused or not, is recorded in the status database.

Download and verification go through the one routine ``trails.verify.fetch.fetch_and_verify``
(over ``trails.agent.fetcher.HttpFetcher``); a revoked installed release is handled in
``trails.agent.revocation``, the kernel's rule ownership in ``trails.agent.kernel``.

The 304 path (nothing changed) must stay cheap: it never imports the verification
core or cryptography, which are loaded (plain imports at the call site) only when there
is a release to verify. For the
same reason the agent's records (config, state, result, HTTP responses, commands) are
``NamedTuple``s rather than frozen dataclasses: building a dataclass costs about 1 ms
at import, and the whole 304 run is budgeted at three interpreter start-ups (issue 4).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trails.agent.apply import (
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
from trails.agent.config import AgentConfig
from trails.agent.files import (
    check_trusted_dir,
    exclusive_lock,
    read_optional,
    read_trusted,
)
from trails.agent.http import NotModified, Response, ResponseTooLarge, Transport
from trails.agent.kernel import LOAD_FILE, file_keys, rule_keys, split_lock
from trails.agent.outcome import FetchResult, status_row
from trails.agent.state import AgentState, load_state, save_state
from trails.agent.statusdb import write_status
from trails.errors import (
    InternalError,
    TrailsError,
    TransportError,
    UsageError,
    VerificationError,
)
from trails.fileio import atomic_write
from trails.formats.manifest import format_time, parse_time
from trails.formats.names import AUDIT_RULES, OSQUERY_CONF, RELEASE_ENVELOPE
from trails.verify.errors import InstalledRevokedError, ReleaseExpiredError, SizeError

if TYPE_CHECKING:
    from cryptography import x509

    from trails.verify.core import ReleaseVerifier, VerifiedRelease
    from trails.verify.trust import TrustPolicy

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
        self.kernel = config.audit_load != "none"  # none: never touch the kernel's rules
        # Keys of the rules in trails' own rules file: the only rules it deletes.
        self.owned_keys: set[str] = set()

    # -- the run ---------------------------------------------------------------------
    def run(self) -> FetchResult:
        # One run at a time (timer and a manual run): the journal and state are ours.
        with exclusive_lock(self.state_dir / LOCK_FILE):
            now = self.clock()  # the one reference time of this run
            state: AgentState | None = None
            try:
                self.owned_keys = self._rules_file_keys()  # before and after a roll-forward
                pending_rules = self.installer.recover([self.osquery_conf, self.audit_rules])
                self.owned_keys |= self._rules_file_keys()
                state = load_state(self.state_dir)
                result = self._run(now, state, pending_rules)
            except TrailsError as exc:
                # A revoked release was restored or removed: the row names what runs now.
                self._record(
                    now, None if isinstance(exc, InstalledRevokedError) else state, None, exc
                )
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
        etag = state.etag if intact and state else None
        last_modified = state.last_modified if intact and state else None
        response = self._get(
            cfg.url(RELEASE_ENVELOPE),
            cfg.max_envelope_bytes,
            SizeError,
            etag=etag,
            last_modified=last_modified,
        )
        if isinstance(response, NotModified):
            if state is None or not (etag or last_modified):  # only a conditional request may
                raise TransportError(self._unconditional_304(response.url, state, usable))
            return self._unchanged(now, state)
        if intact and state is not None and response.body == state.envelope.encode():
            # A server without validators sent the envelope we verified and installed:
            # the same as a 304 (the expiry is still checked).
            return self._unchanged(now, state)
        # There is a release to verify: the core and cryptography are loaded from here on.
        from trails.agent import revocation  # noqa: PLC0415 - never on the 304 path
        from trails.agent.fetcher import HttpFetcher  # noqa: PLC0415 - never on the 304 path
        from trails.verify.fetch import fetch_and_verify  # noqa: PLC0415 - never on the 304 path

        policy = self._policy(now)
        floor = state if usable else None
        revoked = None if floor is None else revocation.revocation(policy, now, floor)
        previous = None
        if revoked is not None:  # a revoked release is no rollback floor
            previous = revocation.valid_previous(self.state_dir, cfg.namespace, policy, now)
            floor = previous.state if previous else None
        try:
            fetched = fetch_and_verify(
                HttpFetcher(self.transport, cfg.url),
                self._verifier(policy, now, floor),
                envelope=response.body,  # fetched above with the conditional request
                # Same files re-signed (e.g. to extend expires): nothing to download.
                unchanged=state.files if intact and state is not None else None,
                max_total_bytes=cfg.max_total_bytes,
            )
        except VerificationError as exc:
            if state is not None and revoked is not None:
                raise revocation.act_on_revoked(
                    self, now, state, revoked, previous, refused=exc
                ) from exc
            raise
        release = fetched.release
        if state is not None and revoked is not None:
            self.warnings.append(
                f"the installed release v{state.version} was revoked ({revoked}); replaced"
            )
        if fetched.files is None and state is not None:  # renewed: nothing to install
            new_state = self._state(release, response, state.installed, state.loaded_rules, now)
            save_state(self.state_dir, new_state)
            return self._result("renewed", new_state, len(state.loaded_rules))
        changes, rules = self._prepare(fetched.files or {})
        old_rules = tuple(dict.fromkeys([*(state.loaded_rules if state else ()), *pending_rules]))
        installed = {str(c.target): _sha256(c.data) for c in changes if c.data is not None}
        loaded = tuple(rules) if self.kernel else ()
        new_state = self._state(release, response, installed, loaded, now)
        # The release being replaced becomes the one a revocation falls back to (unless
        # it was itself revoked, or edited on disk: then the older archive stays).
        outgoing = state if intact and revoked is None else None
        self.apply(changes, rules, old_rules, new_state, outgoing=outgoing)
        return self._result("installed", new_state, len(loaded))

    def _unconditional_304(self, url: str, state: AgentState | None, usable: bool) -> str:
        """Why the request was unconditional: the local damage a 304 must not hide."""
        if state is None:
            why = "no release is installed"
        elif not usable:
            why = (
                f"the installed release is for namespace {state.namespace!r}, this host is "
                f"now {self.config.namespace!r}"
            )
        elif not (state.etag or state.last_modified):
            why = "the installed release has no HTTP validators"
        else:
            changed = [p for p, d in state.installed.items() if not self._file_is(Path(p), d)]
            why = f"installed files were changed outside trails: {', '.join(changed)}"
        return f"{url}: 304 to an unconditional request ({why}); fix the mirror, it must send it"

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
        """A plain GET (the CRL); the release's files go through ``fetch_and_verify``."""
        response = self._get(url, max_bytes, too_large)
        if isinstance(response, NotModified):  # no validators were sent
            raise TransportError(f"{url}: 304 to a plain GET; fix the server")
        return response.body

    def _unchanged(self, now: datetime, state: AgentState) -> FetchResult:
        if self.config.crl_url:  # re-check the installed release against today's CRL
            from trails.agent import revocation  # noqa: PLC0415 - only with a CRL

            policy = self._policy(now)
            revoked = revocation.revocation(policy, now, state, strict=True)
            if revoked is not None:
                ns = self.config.namespace
                previous = revocation.valid_previous(self.state_dir, ns, policy, now)
                raise revocation.act_on_revoked(self, now, state, revoked, previous, refused=None)
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
        return all(self._file_is(Path(p), d) for p, d in state.installed.items())

    @staticmethod
    def _file_is(path: Path, digest: str) -> bool:
        data = read_optional(path, 64 * 1024 * 1024)
        return data is not None and _sha256(data) == digest

    def _policy(self, now: datetime) -> TrustPolicy:
        from trails.verify import trust  # noqa: PLC0415 - cryptography: not on the 304 path

        cfg = self.config
        roots_path = rebase(self.root, cfg.roots)
        roots_data = read_trusted(roots_path, 4 * 1024 * 1024)  # root's, or exit 7
        if roots_data is None:
            raise UsageError(f"roots file {roots_path} does not exist; install the root CA PEM")
        roots = trust.load_roots(roots_data, str(roots_path))
        crls: tuple[x509.CertificateRevocationList, ...] = ()
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
        return trust.TrustPolicy(roots=roots, crls=crls, require_crl=cfg.require_crl)

    def _verifier(
        self, policy: TrustPolicy, now: datetime, floor: AgentState | None
    ) -> ReleaseVerifier:
        from trails.verify.core import ReleaseVerifier, StoredState  # noqa: PLC0415 - see above

        stored = None
        if floor is not None:
            stored = StoredState(
                floor.version, dict(floor.files), floor.epoch, parse_time(floor.expires)
            )
        return ReleaseVerifier(policy, self.config.namespace, stored, now)

    def _prepare(self, contents: dict[str, bytes]) -> tuple[list[Change], list[str]]:
        """Map release files to install targets; expand audit-rule globs on this host."""
        changes: list[Change] = []
        rules: list[str] = []
        if OSQUERY_CONF in contents:
            changes.append(Change(self.osquery_conf, contents[OSQUERY_CONF], 0o644))
        if AUDIT_RULES in contents:
            from trails.agent.hostrules import expand  # noqa: PLC0415 - never on the 304 path

            rendered = expand(
                contents[AUDIT_RULES],
                root=self.root or Path("/"),
                max_rules=self.config.max_audit_rules,
            )
            rules = rule_lines(rendered.decode())  # never -D: trails.audit_rules.controls
            changes.append(Change(self.audit_rules, rendered, 0o640))
        elif changes:  # rules dropped: a file left in rules.d would load them at boot
            changes.append(Change(self.audit_rules, None))
        if not changes:
            raise NothingToInstall(
                f"the release lists neither {OSQUERY_CONF} nor {AUDIT_RULES}; fix the build"
            )
        return changes, rules

    def apply(
        self,
        changes: list[Change],
        rules: list[str],
        old_rules: Sequence[str],
        new_state: AgentState,
        *,
        outgoing: AgentState | None = None,
    ) -> None:
        backup = self.installer.install(changes, rules)
        # The new rules go in before the old ones go out, so the kernel is never without
        # trails' rules; a rule in both sets stays loaded throughout.
        new, old = set(rules), set(old_rules)
        added = [r for r in rules if r not in old]  # what a rollback deletes again
        removed = [r for r in self.owned(old_rules) if r not in new]
        unloaded: list[str] = []  # what a rollback loads again
        reloaded = False
        try:
            # A final -e 2 is held back until the old rules are deleted: loaded first, it
            # would lock the kernel with old and new rules both in it until reboot.
            lock = self._load(rules, hold_lock=True) if self.kernel else False
            self.installer.checkpoint("rules-loaded")
            for rule in removed if self.kernel else ():
                self.loader.unload([rule])
                unloaded.append(rule)
            self.installer.checkpoint("old-rules-unloaded")
            if lock:
                self.loader.lock()
            run_reload(self.config.osquery_reload, self.run_command)
            reloaded = True
            if outgoing is not None:
                self._archive(outgoing, backup)
            save_state(self.state_dir, new_state)
        except BaseException as exc:
            problems = self._roll_back(backup, added, old_rules, unloaded, reload=reloaded)
            if problems and isinstance(exc, TrailsError):
                raise RollbackIncomplete(
                    f"{exc}; rollback incomplete: {problems[0]}; check the host"
                ) from exc
            raise
        self.installer.finish()

    def _archive(self, outgoing: AgentState, backup: Backup) -> None:
        """Keep the replaced release (state and bytes) for ``on_revoked: restore_previous``."""
        contents: dict[Path, bytes] = {}
        for path in outgoing.installed:
            if Path(path) in backup.previous:  # None: it was a symlink, never read through
                data = backup.previous[Path(path)]
            else:
                data = read_optional(Path(path), 64 * 1024 * 1024)  # not replaced this time
            if data is None:
                return
            contents[Path(path)] = data
        from trails.agent.previous import save_previous  # noqa: PLC0415 - never on a 304

        save_previous(self.state_dir, outgoing, contents)

    def _roll_back(
        self,
        backup: Backup,
        added: Sequence[str],
        old_rules: Sequence[str],
        unloaded: Sequence[str],
        *,
        reload: bool,
    ) -> list[str]:
        """Put back the previous files and rules; every step runs, problems are returned.

        ``added``: the new rules that were not loaded before (deleted again);
        ``unloaded``: the old rules this install deleted (the old file is loaded again).
        """
        steps: list[Callable[[], object]] = [lambda: self.installer.restore(backup)]
        if self.kernel:
            steps.append(lambda: self.loader.unload(added))
            augenrules = self.config.audit_load == "augenrules"  # rebuilds from rules.d
            if (unloaded or augenrules) and self.audit_rules in backup.previous:
                steps.append(lambda: self._load(old_rules))
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
            epoch=m.epoch,
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
            # A kernel locked by -e 2 was left alone (trails.agent.apply.AuditctlLoader).
            warnings=(*self.warnings, *self.loader.notices),
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
        kernel_rules: list[str] | None = None
        if self.kernel:
            with contextlib.suppress(TrailsError):
                kernel_rules = self.loader.list_rules()
            with contextlib.suppress(TrailsError):  # else empty: unknown, read as not locked
                row["audit_enabled"] = self.loader.audit_enabled()
        try:
            # Never into a directory others can write (they could plant a link there).
            if self.status_db.parent.exists():
                check_trusted_dir(self.status_db.parent)
            write_status(self.status_db, row, kernel_rules, format_time(now))
        except TrailsError:
            if error is None:
                raise

    # -- the kernel's rules ----------------------------------------------------------
    def _rules_file_keys(self) -> set[str]:
        try:
            return file_keys(read_optional(self.audit_rules, 64 * 1024 * 1024))
        except TrailsError:
            return set()

    def owned(self, rules: Sequence[str]) -> list[str]:
        """The rules trails may delete: each key is a key of a rule in its rules file.

        A rule a forged or stale state lists under someone else's key (or no key) stays
        in the kernel, with a warning."""
        owned = []
        for rule in rules:
            keys = rule_keys(rule)
            if keys and all(k in self.owned_keys for k in keys):
                owned.append(rule)
            else:
                self.warnings.append(
                    f"left {rule!r} in the kernel: its key is not one of trails' rules in "
                    f"{self.audit_rules}; delete it by hand if it is stale"
                )
        return owned

    def _load(self, rules: Sequence[str], *, hold_lock: bool = False) -> bool:
        """Load the installed rules file; a rule that is already loaded stays as it is.

        For auditctl, the file is copied behind a ``-c`` line (go on past a rule the
        kernel already has: ``Rule exists`` is not an error then, see apply.py), without
        its final ``-e 2``: sent here, or with ``hold_lock`` by the caller once the old
        rules are deleted (``loader.lock()``); returns whether it was held back."""
        if self.config.audit_load != "auditctl":
            self.loader.load(self.audit_rules, rules)
            return False
        if not rules:
            return False
        data, lock = split_lock(read_optional(self.audit_rules, 64 * 1024 * 1024) or b"")
        load_file = self.state_dir / LOAD_FILE
        atomic_write(load_file, b"-c\n" + data, mode=0o600)
        try:
            self.loader.load(load_file, rules)
        finally:
            load_file.unlink(missing_ok=True)
        if lock and not hold_lock:
            self.loader.lock()
        return lock and hold_lock
