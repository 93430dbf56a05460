"""A simulated fleet: osquery filesystem-logger results, exactly as osquery writes them.

Used by the demo, the tests and the benchmark. Every line carries the decoration
``SIMULATED_DECORATION`` so that every report built from it says it is simulated.
Hosts are deterministic in ``seed``; lines are built from pre-encoded pieces so that
10,000 hosts x 150 controls x 3 days take seconds, streamed to disk.

The fleet mixes what real fleets show: mostly passing controls with a few persistent
and a few flapping failures, not-applicable controls, a denylisted query and a query
that ran without a result (``error``), silent hosts, hosts left on an older config,
an agent that refused a release, and one tampered host whose installed osquery.conf
differs from the signed manifest. Output formats vary per host the way osquery's flags
make them vary: snapshot lines, event lines (``--logger_event_type``), batch
``diffResults`` lines, numbers or strings for times, nested or top-level decorations.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import random
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from trails.formats.manifest import format_time
from trails.models.evidence import (
    CONTROL_QUERY_PREFIX,
    INSTALLED_HASH_COLUMN,
    INTEGRITY_QUERY,
    SCHEDULE_STATS_QUERY,
    SIMULATED_DECORATION,
)
from trails.models.status import STATUS
from trails.report.releases import ReleaseInfo

DAY = 86400


@dataclass(frozen=True)
class SimNamespace:
    namespace: str
    config_version: str
    older_config_version: str  # what drifted hosts still run
    controls: tuple[str, ...]
    osquery_conf_sha256: str
    expires: datetime | None = None
    # whom hosts record as the signer of what they installed (trails_status)
    signer_subject: str = "CN=trails ci signer,O=Example"
    signer_fingerprint: str = hashlib.sha256(b"simulated signer").hexdigest()


@dataclass(frozen=True)
class SimOptions:
    hosts: int
    days: int
    until: datetime
    seed: int = 0
    shards: int = 4
    compress: bool = False


@dataclass(frozen=True)
class SimSummary:
    files: tuple[Path, ...]
    lines: int
    bytes: int


def _signer(info: ReleaseInfo) -> dict[str, str]:
    """The release's signer when it is signed (a built-only release has none)."""
    rel = info.release
    if not rel.signer_fingerprint:
        return {}
    return {"signer_subject": rel.signer_subject, "signer_fingerprint": rel.signer_fingerprint}


def from_releases(releases: tuple[ReleaseInfo, ...]) -> tuple[SimNamespace, ...]:
    out = []
    for info in releases:
        rel = info.release
        digest = hashlib.sha256(rel.config_version.encode()).hexdigest()[:7]
        older = f"{rel.version - 1000000:014d}-{digest}"
        out.append(
            SimNamespace(
                namespace=rel.namespace,
                config_version=rel.config_version,
                older_config_version=older,
                controls=info.controls,
                osquery_conf_sha256=rel.osquery_conf_sha256,
                expires=rel.expires,
                **_signer(info),
            )
        )
    return tuple(n for n in out if n.controls)


def synthetic(controls: int, until: datetime) -> tuple[SimNamespace, ...]:
    """Two namespaces without a dist/ tree: ``linux`` and ``linux/pci`` (a superset)."""
    ids = tuple(f"sim-{i:04d}" for i in range(1, controls + 1))
    stamp = (until - timedelta(days=2)).strftime("%Y%m%d%H%M%S")
    older = (until - timedelta(days=30)).strftime("%Y%m%d%H%M%S")
    return tuple(
        SimNamespace(
            namespace=ns,
            config_version=f"{stamp}-5a1e{i}00",
            older_config_version=f"{older}-01d{i}000",
            controls=ids[: max(1, controls * 2 // 3)] if ns == "linux" else ids,
            osquery_conf_sha256=hashlib.sha256(ns.encode()).hexdigest(),
            expires=until + timedelta(days=30),
        )
        for i, ns in enumerate(("linux", "linux/pci"))
    )


@dataclass(frozen=True)
class _Host:
    n: int
    uuid: str
    hostname: str
    ns: SimNamespace
    config_version: str
    owner: str
    fail_rate: float
    fmt: str  # "snapshot" | "event" | "batch"
    top_level: bool  # --decorations_top_level
    string_times: bool  # older osquery: unixTime as a string
    silent_after_day: int | None  # stops reporting after this day
    denylisted: str | None  # control id osquery denylisted
    no_result: str | None  # control id that ran but logged nothing
    tampered: bool
    refused: bool  # the agent refused the newest release


def _hosts(namespaces: tuple[SimNamespace, ...], opts: SimOptions) -> Iterator[_Host]:
    rng = random.Random(opts.seed)  # noqa: S311 (a simulation, not a secret)
    owners = ("alice", "bob", "carol", "dave", "erin")
    for n in range(opts.hosts):
        ns = namespaces[n % len(namespaces)]
        roll = rng.random()
        drift = rng.random() < 0.03
        yield _Host(
            n=n,
            uuid=f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-"
            f"8{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}",
            hostname=f"{'pci' if 'pci' in ns.namespace else 'srv'}-{n:05d}.example.internal",
            ns=ns,
            config_version=ns.older_config_version if drift else ns.config_version,
            owner=owners[rng.randrange(len(owners))],
            fail_rate=rng.choice((0.01, 0.03, 0.05, 0.1, 0.25)),
            fmt="event" if roll < 0.1 else "batch" if roll < 0.15 else "snapshot",
            top_level=rng.random() < 0.1,
            string_times=rng.random() < 0.1,
            silent_after_day=0 if (n > 0 and rng.random() < 0.01) else None,
            denylisted=rng.choice(ns.controls) if rng.random() < 0.02 else None,
            no_result=rng.choice(ns.controls) if rng.random() < 0.01 else None,
            tampered=n == 1,
            refused=n == 2 or (n > 2 and rng.random() < 0.005),
        )


@functools.lru_cache(maxsize=4096)
def _calendar_day(day: int) -> tuple[str, str]:
    stamp = datetime.fromtimestamp(day * DAY, UTC)
    return stamp.strftime("%a %b %d "), stamp.strftime(" %Y UTC")


def _calendar(t: int) -> str:
    """osquery's calendarTime, e.g. ``Mon Nov 23 09:00:00 2026 UTC``."""
    day, rest = divmod(t, DAY)
    hours, rest = divmod(rest, 3600)
    prefix, suffix = _calendar_day(day)
    return f"{prefix}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{suffix}"


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@functools.lru_cache(maxsize=65536)
def _name(name: str) -> str:
    return _dumps(name)


class _Writer:
    """Encodes one host's lines; the per-host pieces are encoded once."""

    def __init__(self, host: _Host) -> None:
        self.host = host
        decorations = {
            "config_version": host.config_version,
            "host_uuid": host.uuid,
            "hostname": host.hostname,
            "namespace": host.ns.namespace,
            "org": "example",
            "owner": host.owner,
            "owner_group": "platform",
            "project": "payments" if "pci" in host.ns.namespace else "fleet",
            SIMULATED_DECORATION: "true",
        }
        encoded = _dumps(decorations)
        # osquery writes decorations last (nested) or as top-level keys after "numerics".
        self.decorations = "," + encoded[1:-1] if host.top_level else ',"decorations":' + encoded
        self.ident = _dumps(host.hostname)

    def head(self, name: str, t: int, counter: int) -> str:
        ts = f'"{t}"' if self.host.string_times else str(t)
        return (
            f'"name":{_name(name)},"hostIdentifier":{self.ident},"calendarTime":"{_calendar(t)}",'
            f'"unixTime":{ts},"epoch":0,"counter":{counter},"numerics":false{self.decorations}'
        )

    def lines(
        self, name: str, rows: list[str], t: int, counter: int, differential: bool
    ) -> Iterator[str]:
        head = self.head(name, t, counter)
        if self.host.fmt == "event":
            action = "added" if differential else "snapshot"
            for row in rows:
                yield f'{{{head},"columns":{row},"action":"{action}"}}\n'
        elif differential or (self.host.fmt == "batch" and name == INTEGRITY_QUERY):
            yield f'{{"diffResults":{{"added":[{",".join(rows)}],"removed":[]}},{head}}}\n'
        else:
            yield f'{{"snapshot":[{",".join(rows)}],"action":"snapshot",{head}}}\n'


@functools.lru_cache(maxsize=65536)
def _control_row(control: str, failing: bool, not_applicable: bool) -> str:
    if not_applicable:
        status, evidence = "not_applicable", []
    elif failing:
        status, evidence = "fail", [{"path": f"/etc/{control}.conf", "mode": "0666", "uid": "0"}]
    else:
        status, evidence = "pass", []
    return _dumps(
        {
            "control_id": control,
            "evidence": _dumps(evidence),
            "evidence_count": str(len(evidence)),
            "status": status,
        }
    )


def _host_lines(host: _Host, opts: SimOptions, seed: int) -> Iterator[str]:
    rng = random.Random(seed * 1_000_003 + host.n)  # noqa: S311
    writer = _Writer(host)
    start = int(opts.until.timestamp()) - opts.days * DAY
    controls = host.ns.controls
    persistent = {c for c in controls if rng.random() < host.fail_rate}
    not_applicable = {c for i, c in enumerate(controls) if i % 23 == 7}
    rows = {
        c: (_control_row(c, False, c in not_applicable), _control_row(c, True, False))
        for c in controls
    }
    offset = rng.randrange(DAY // 2)
    counter = 0
    for day in range(opts.days):
        if host.silent_after_day is not None and day > host.silent_after_day:
            return
        base = start + day * DAY + offset
        executions: dict[str, int] = {}
        for i, control in enumerate(controls):
            if control in (host.denylisted, host.no_result):
                continue
            failing = control in persistent or rng.random() < 0.005
            executions[control] = day + 1
            t = base + i * 7
            yield from writer.lines(
                CONTROL_QUERY_PREFIX + control, [rows[control][failing]], t, 0, False
            )
        stats = [_stats_row(host, control, day + 1, base) for control in controls]
        t_stats = base + len(controls) * 7 + 60
        yield from writer.lines(SCHEDULE_STATS_QUERY, stats, t_stats, 0, False)
        counter += 1
        yield from writer.lines(
            INTEGRITY_QUERY, [_integrity_row(host, opts, t_stats)], t_stats + 5, counter, False
        )


def _stats_row(host: _Host, control: str, executions: int, last: int) -> str:
    """One osquery_schedule row (keys sorted, values strings, as osquery logs them)."""
    denied = control == host.denylisted
    output = "0" if control == host.no_result else "180"
    return (
        f'{{"denylisted":"{int(denied)}","executions":"{0 if denied else executions}",'
        f'"interval":"3600","last_executed":"{0 if denied else last}",'
        f'"name":{_query_name(control)},"output_size":"{output}","wall_time_ms":"3"}}'
    )


@functools.lru_cache(maxsize=65536)
def _query_name(control: str) -> str:
    return _dumps(CONTROL_QUERY_PREFIX + control)


def _integrity_row(host: _Host, opts: SimOptions, t: int) -> str:
    ns = host.ns
    verified = format_time(datetime.fromtimestamp(t - 3600, UTC))
    values = dict.fromkeys(STATUS.columns, "")
    values.update(
        namespace=ns.namespace,
        version=host.config_version.split("-")[0],
        config_version=host.config_version,
        signer_subject=ns.signer_subject,
        signer_fingerprint=ns.signer_fingerprint,
        verified_at=verified,
        expires=format_time(ns.expires or opts.until + timedelta(days=30)),
        last_attempt_at=verified,
        last_result="ok",
        osquery_conf_path="/etc/osquery/osquery.conf",
        osquery_conf_sha256=ns.osquery_conf_sha256,
        audit_rules_path="/etc/audit/rules.d/trails.rules",
        audit_rules_sha256=hashlib.sha256(ns.namespace.encode() + b"rules").hexdigest(),
    )
    if host.refused:
        values.update(
            last_result="signature", last_error="signature over the manifest does not verify"
        )
    installed = ns.osquery_conf_sha256
    if host.config_version != ns.config_version:
        installed = hashlib.sha256(host.config_version.encode()).hexdigest()
        values["osquery_conf_sha256"] = installed
    if host.tampered:
        installed = hashlib.sha256(b"tampered").hexdigest()
    values[INSTALLED_HASH_COLUMN] = installed
    return _dumps(dict(sorted(values.items())))


def _open(path: Path, compress: bool, stack: ExitStack) -> IO[str]:
    if compress:
        return stack.enter_context(
            gzip.open(path, "wt", encoding="utf-8", compresslevel=1, newline="\n")
        )
    return stack.enter_context(path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20))


def simulate(namespaces: tuple[SimNamespace, ...], opts: SimOptions, out_dir: Path) -> SimSummary:
    """Write ``opts.shards`` results logs into ``out_dir``; hosts are spread over them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = max(1, min(opts.shards, opts.hosts))
    suffix = ".log.gz" if opts.compress else ".log"
    paths = tuple(out_dir / f"osqueryd.results.{i:03d}{suffix}" for i in range(shards))
    lines = 0
    with ExitStack() as stack:
        files = [_open(p, opts.compress, stack) for p in paths]
        for host in _hosts(namespaces, opts):
            out = files[host.n % shards]
            chunk = list(_host_lines(host, opts, opts.seed))
            lines += len(chunk)
            out.write("".join(chunk))
    return SimSummary(files=paths, lines=lines, bytes=sum(p.stat().st_size for p in paths))
