"""``/etc/trails/agent.yaml``: what the agent fetches, what it trusts, where it installs.

Parsed strictly: an unknown key, a wrong type or an impossible value is a
``UsageError`` (exit 2) naming the key, so a typo never silently falls back to a
default. ``packaging/agent.yaml`` is the documented example. ``trails fetch`` passes a
``ConfigCache`` so that a run reading the same bytes as last time skips PyYAML (see
``trails.agent.config_cache``); the cached document is validated the same way.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from trails.agent.config_cache import ConfigCache
from trails.agent.files import check_trusted_dir, open_trusted
from trails.agent.http import UnsupportedURL, check_url
from trails.errors import UsageError
from trails.models.namespace import namespace_error
from trails.models.status import DEFAULT_DB_PATH

DEFAULT_CONFIG_PATH = "/etc/trails/agent.yaml"
DEFAULT_STATE_DIR = Path("/var/lib/trails")
MAX_CONFIG_BYTES = 64 * 1024
# none: never touch the kernel (a sandbox: ``trails fetch --root`` implies it).
AUDIT_LOAD_METHODS = ("auditctl", "augenrules", "none")
# What to do when the CRL revokes the release that is installed (docs/agent.md).
ON_REVOKED = ("restore_previous", "remove", "keep")


class AgentConfig(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    base_url: str
    namespace: str
    roots: Path
    crl_url: str | None = None
    require_crl: bool = False
    state_dir: Path = DEFAULT_STATE_DIR
    status_db: Path = Path(DEFAULT_DB_PATH)
    osquery_conf: Path = Path("/etc/osquery/osquery.conf")
    audit_rules: Path = Path("/etc/audit/rules.d/50-trails.rules")
    audit_load: str = "auditctl"  # or "augenrules" (the whole rule set), "none" (no kernel)
    audit_flush: bool = False  # only false: -D is never loaded (trails.audit_rules.controls)
    auditctl: str = "auditctl"
    augenrules: str = "augenrules"
    osquery_reload: tuple[str, ...] = ()  # argv, e.g. systemctl reload-or-restart osqueryd
    command_timeout: float = 60.0
    connect_timeout: float = 10.0
    total_timeout: float = 60.0
    retries: int = 2
    max_envelope_bytes: int = 1024 * 1024
    max_crl_bytes: int = 4 * 1024 * 1024
    max_total_bytes: int = 128 * 1024 * 1024
    max_audit_rules: int = 10_000
    on_revoked: str = "restore_previous"
    redirect_origins: tuple[str, ...] = ()  # other origins a redirect may lead to

    def url(self, name: str) -> str:
        return f"{self.base_url.rstrip('/')}/{self.namespace}/{name}"


_PATHS = ("roots", "state_dir", "status_db", "osquery_conf", "audit_rules")
_BOOLS = ("require_crl", "audit_flush")
_STRS = ("auditctl", "augenrules")
_FLOATS = ("command_timeout", "connect_timeout", "total_timeout")
_INTS = ("retries", "max_envelope_bytes", "max_crl_bytes", "max_total_bytes", "max_audit_rules")
_KNOWN = {"base_url", "namespace", "crl_url", "audit_load", "osquery_reload", "on_revoked"}
_KNOWN |= {"redirect_origins"}
_KNOWN |= set(_PATHS) | set(_BOOLS) | set(_STRS) | set(_FLOATS) | set(_INTS)


def _bad(source: str, key: str, what: str) -> UsageError:
    return UsageError(f"{source}: {key} {what}; fix the agent config")


def parse_config(text: str, source: str) -> AgentConfig:
    """Parse agent.yaml text (``safe_load`` only) into a checked ``AgentConfig``."""
    return config_from_doc(parse_document(text, source), source)


def parse_document(text: str, source: str) -> dict[Any, Any]:
    import yaml  # noqa: PLC0415 - a cache hit (the usual timer run) never needs PyYAML

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{source}: not valid YAML ({type(exc).__name__}); fix it") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{source}: must be a YAML mapping of settings")
    return doc


def config_from_doc(doc: dict[Any, Any], source: str) -> AgentConfig:
    """Check a parsed agent.yaml document; every problem is a UsageError naming the key."""
    unknown = sorted(str(k) for k in doc if k not in _KNOWN)
    if unknown:
        raise UsageError(f"{source}: unknown setting(s) {', '.join(unknown)}; check the spelling")
    for key in ("base_url", "namespace", "roots"):
        if key not in doc:
            raise _bad(source, key, "is required")
    values: dict[str, Any] = {}
    for key in ("base_url", "crl_url"):
        if key in doc and not (key == "crl_url" and doc[key] is None):
            url = doc[key]
            if not isinstance(url, str):
                raise _bad(source, key, "must be a URL string")
            try:
                check_url(url)
            except UnsupportedURL:
                raise _bad(source, key, f"{url!r} is not an http(s) URL") from None
            values[key] = url
    namespace = doc["namespace"]
    if not isinstance(namespace, str) or namespace_error(namespace):
        raise _bad(source, "namespace", "is not a valid namespace like linux/pci")
    values["namespace"] = namespace
    for key in _PATHS:
        if key in doc:
            if not isinstance(doc[key], str) or not doc[key].startswith("/"):
                raise _bad(source, key, "must be an absolute path")
            values[key] = Path(doc[key])
    for key in _BOOLS:
        if key in doc:
            if not isinstance(doc[key], bool):
                raise _bad(source, key, "must be true or false")
            values[key] = doc[key]
    if values.get("audit_flush"):  # trails.audit_rules.controls: no host loads -D
        raise _bad(
            source, "audit_flush", "true is no longer supported (-D deletes other tools' rules)"
        )
    for key in _STRS:
        if key in doc:
            if not isinstance(doc[key], str) or not doc[key]:
                raise _bad(source, key, "must be a command name or path")
            values[key] = doc[key]
    for key in _FLOATS:
        if key in doc:
            v = doc[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 3600:
                raise _bad(source, key, "must be a number of seconds in (0, 3600]")
            values[key] = float(v)
    for key in _INTS:
        if key in doc:
            v = doc[key]
            low = 0 if key == "retries" else 1
            if type(v) is not int or not low <= v <= (10 if key == "retries" else 1 << 34):
                raise _bad(source, key, "is out of range")
            values[key] = v
    if "audit_load" in doc:
        if doc["audit_load"] not in AUDIT_LOAD_METHODS:
            raise _bad(source, "audit_load", f"must be one of {', '.join(AUDIT_LOAD_METHODS)}")
        values["audit_load"] = doc["audit_load"]
    if "on_revoked" in doc:
        if doc["on_revoked"] not in ON_REVOKED:
            raise _bad(source, "on_revoked", f"must be one of {', '.join(ON_REVOKED)}")
        values["on_revoked"] = doc["on_revoked"]
    if "osquery_reload" in doc and doc["osquery_reload"] is not None:
        argv = doc["osquery_reload"]
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) and a for a in argv)):
            raise _bad(source, "osquery_reload", "must be a non-empty list of arguments")
        values["osquery_reload"] = tuple(argv)
    if "redirect_origins" in doc and doc["redirect_origins"] is not None:
        values["redirect_origins"] = _origins(doc["redirect_origins"], source)
    if values.get("require_crl") and "crl_url" not in values:
        raise _bad(source, "require_crl", "is true but no crl_url is set")
    return AgentConfig(**values)


def _origins(value: object, source: str) -> tuple[str, ...]:
    """``[https://cdn.example.com, http://10.0.0.5:8080]``: scheme, host, optional port."""
    what = "must be a list of origins like https://cdn.example.com (no path)"
    if not isinstance(value, list):
        raise _bad(source, "redirect_origins", what)
    origins = []
    for item in value:
        if not isinstance(item, str) or urlsplit(item).path not in ("", "/"):
            raise _bad(source, "redirect_origins", what)
        try:
            check_url(item)
        except UnsupportedURL:
            raise _bad(source, "redirect_origins", what) from None
        origins.append(item.rstrip("/"))
    return tuple(origins)


def load_config(path: Path, cache: ConfigCache | None = None) -> AgentConfig:
    """Read and check ``path``; with ``cache``, identical bytes skip the YAML parser.

    The file names programs the agent runs as root, so it must be root's and writable
    by nobody else, in a directory nobody else can write (exit 7 otherwise).
    """
    try:
        with os.fdopen(open_trusted(path), "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise UsageError(
            f"cannot read agent config {path}: {exc.strerror}; pass --config"
        ) from None
    check_trusted_dir(path.parent, sticky_ok=True)
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; is it the right file?")
    digest = hashlib.sha256(data).hexdigest()
    cached = cache.get(digest) if cache else None
    if cached is not None:
        try:
            return config_from_doc(cached, str(path))
        except UsageError:
            pass  # a damaged cache is a miss: the YAML decides
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; fix the agent config") from None
    doc = parse_document(text, str(path))
    config = config_from_doc(doc, str(path))
    # Only into the state dir the config names: the agent writes nowhere else.
    if cache is not None and config.state_dir == DEFAULT_STATE_DIR:
        cache.put(digest, doc)
    return config
