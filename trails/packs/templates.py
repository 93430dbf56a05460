# ruff: noqa: S608  -- this module writes SQL; every value goes through lit() (quoted literals)
"""Check kinds: short YAML specs that expand to osquery SQL with an ``ok`` column.

Every template returns rows that are *observations* (one per expected item, present
or not) with ``ok`` = 1 only when the observed value is compliant. A missing
observation gives ``ok`` NULL, which the compiler treats as a failure, so a pass is
never inferred from missing data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trails.errors import InternalError

# Paths where the commands that neutralise a module ("install <mod> /bin/false") live.
_FALSE_COMMANDS = ("/bin/false", "/bin/true", "/usr/bin/false", "/usr/bin/true")


@dataclass(frozen=True)
class Expanded:
    sql: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    """What a template needs beyond its spec."""

    packages: str  # "deb" or "rpm"
    audit_rules: tuple[str, ...]  # the expected `auditctl -l` lines (audit_loaded)


def lit(value: object) -> str:
    """An SQL literal."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InternalError(f"cannot quote {type(value).__name__} as SQL")
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def literal_rows(column: str, values: Iterable[str]) -> str:
    """A derived table of one text column: ``SELECT 'a' AS c UNION ALL SELECT 'b'``."""
    return " UNION ALL ".join(f"SELECT {lit(v)} AS {column}" for v in values)


def mode_int(column: str) -> str:
    """osquery's file.mode is 4 octal digits as text ("0644"); as an integer."""
    digits = [f"CAST(substr({column}, {i}, 1) AS INTEGER)" for i in range(1, 5)]
    return f"({digits[0]} * 512 + {digits[1]} * 64 + {digits[2]} * 8 + {digits[3]})"


def _package_table(ctx: Context) -> str:
    return "rpm_packages" if ctx.packages == "rpm" else "deb_packages"


def _sysctl_norm(column: str) -> str:
    return f"trim(replace(replace({column}, char(9), ' '), '  ', ' '))"


# The sysctl files the Sysctl lens (osquery 5.23.1) parses: /etc/sysctl.conf and
# /etc/sysctl.d/*; /run, /usr/local/lib and /usr/lib/sysctl.d only reach osquery
# through system_controls.config_value.
_SYSCTL_ETC = (
    "SELECT '/etc/sysctl.conf' AS path UNION ALL "
    "SELECT path FROM file WHERE path LIKE '/etc/sysctl.d/%.conf'"
)


def sysctl(spec: Mapping[str, str], ctx: Context) -> Expanded:
    """Running AND persisted (CIS, CaC sysctl_*, ansible-lockdown all require both).

    The persisted value is what systemd-sysctl applies last from /etc: files in
    name order (/etc/sysctl.conf is read as /etc/sysctl.d/99-sysctl.conf, its link on
    Debian/Ubuntu and RHEL), the last line of a file winning; a key set nowhere in /etc
    falls back to osquery's config_value (vendor files). A file of those the lens
    cannot parse hides its settings, so it fails the check and is named.
    """
    want = " UNION ALL ".join(
        f"SELECT {lit(name)} AS name, {lit(' '.join(value.split()))} AS expected"
        for name, value in spec.items()
    )
    # "-key = value" sets the key too (systemd ignores a failure to write it)
    names = ", ".join(lit(prefix + name) for name in spec for prefix in ("", "-"))
    base = "'/files' || path || '/' || label"
    rank = (
        "(CASE WHEN path = '/etc/sysctl.conf' THEN '99-sysctl.conf' ELSE substr(path, 15) END)"
        f" || printf('/%06d', coalesce(CAST(substr(node, length({base}) + 2) AS INTEGER), 1))"
    )
    settings = (
        f"SELECT ltrim(label, '-') AS name, value, path, {rank} AS rank FROM augeas "
        f"WHERE path IN ({_SYSCTL_ETC}) AND label IN ({names})"
    )
    # SQLite (osquery's engine) takes the bare columns from the row of max(rank)
    last = f"SELECT name, value, path, max(rank) AS rank FROM ({settings}) GROUP BY name"
    unparsed = (
        "SELECT group_concat(substr(node, 14, length(node) - 19), ' ') AS files FROM augeas "
        f"WHERE node IN (SELECT '/augeas/files' || path || '/error' FROM ({_SYSCTL_ETC}))"
    )
    persisted = "coalesce(f.value, s.config_value)"
    ipv6_off = "0"
    if any(name.startswith("net.ipv6.") for name in spec):
        # CIS checks IPv6 keys only while IPv6 is enabled: off on the kernel command
        # line (no /proc/sys/net/ipv6 at all) or by disable_ipv6 for all and default
        ipv6_off = (
            "(e.name LIKE 'net.ipv6.%' AND (EXISTS (SELECT 1 FROM kernel_info WHERE "
            "(' ' || arguments || ' ') LIKE '% ipv6.disable=1 %') OR (SELECT count(*) FROM "
            "system_controls WHERE name IN ('net.ipv6.conf.all.disable_ipv6', "
            "'net.ipv6.conf.default.disable_ipv6') AND trim(current_value) = '1') = 2))"
        )
    sql = (
        "SELECT e.name AS name, e.expected AS expected, s.current_value AS current_value, "
        f"{persisted} AS persisted_value, coalesce(f.path, CASE WHEN s.config_value IS NOT "
        "NULL THEN 'system_controls.config_value' END) AS persisted_in, "
        "u.files AS unparsed_by_osquery_lens, "
        f"({ipv6_off} OR ({_sysctl_norm('s.current_value')} = e.expected AND "
        f"{_sysctl_norm(persisted)} = e.expected AND u.files IS NULL)) AS ok "
        f"FROM ({want}) e LEFT JOIN system_controls s ON s.name = e.name "
        f"LEFT JOIN ({last}) f ON f.name = e.name CROSS JOIN ({unparsed}) u"
    )
    return Expanded(
        sql,
        (
            "name",
            "expected",
            "current_value",
            "persisted_value",
            "persisted_in",
            "unparsed_by_osquery_lens",
        ),
    )


# Where a module's file lives under /lib/modules/<release>/kernel/ (CIS v2.0.0 looks
# in fs/ for filesystems, drivers/ and net/ for the others).
_MODULE_DIRS = {
    "usb-storage": "drivers/usb/storage",
    "dccp": "net/dccp",
    "rds": "net/rds",
    "sctp": "net/sctp",
    "tipc": "net/tipc",
}


def kernel_module(spec: str, ctx: Context) -> Expanded:
    """The module cannot be loaded (CIS v2.0.0 "not available", CaC kernel_module_*_disabled).

    - An installed kernel has the module (``<m>.ko*`` under /lib/modules/*/kernel/):
      otherwise there is nothing to load and only "not loaded" is asked (CIS passes
      such a module).
    - ``install <m> /bin/false`` (or true) in /etc/modprobe.d/*.conf and no install
      directive for <m> that runs anything else (kmod runs the first one it reads).
      The 1.12.0 modprobe lens gives ``install = "<m>"`` with a child ``command``.
    - ``blacklist <m>`` there too.
    - Not in /proc/modules.
    kmod reads module names in its configuration with "-" as "_": both spellings
    count. osquery's modprobe lens reads /etc/modprobe.d only, not /run, /usr/lib or
    /lib/modprobe.d.
    """
    name = spec.replace("-", "_")
    directory = _MODULE_DIRS.get(spec, f"fs/{spec}")
    kernels = f"/lib/modules/%/kernel/{directory}/{spec}.ko%"
    available = f"(SELECT group_concat(path, '; ') FROM file WHERE path LIKE {lit(kernels)})"
    conf = "SELECT path FROM file WHERE path LIKE '/etc/modprobe.d/%.conf'"
    nodes = f"(SELECT node, label, value, path FROM augeas WHERE path IN ({conf}))"
    commands = ", ".join(lit(c) for c in _FALSE_COMMANDS)
    install = (
        f"SELECT i.path || ': install ' || i.value || ' ' || coalesce(c.value, '') AS line, "
        f"trim(replace(c.value, char(9), ' ')) IN ({commands}) AS disables "
        f"FROM {nodes} i LEFT JOIN {nodes} c ON c.node = i.node || '/command' "
        f"AND c.label = 'command' WHERE i.label = 'install' "
        f"AND replace(i.value, '-', '_') = {lit(name)}"
    )
    blacklist = (
        f"SELECT path FROM {nodes} WHERE label = 'blacklist' "
        f"AND replace(value, '-', '_') = {lit(name)}"
    )
    loaded = f"SELECT name || ' ' || status AS line FROM kernel_modules WHERE name = {lit(name)}"
    items = ("in an installed kernel", "install directive", "blacklist directive", "not loaded")
    sql = (
        "SELECT i.item AS item, CASE i.item "
        f"WHEN {lit(items[0])} THEN coalesce(k.files, 'none: nothing to load') "
        f"WHEN {lit(items[1])} THEN (SELECT group_concat(line, '; ') FROM ({install})) "
        f"WHEN {lit(items[2])} THEN (SELECT group_concat(path, '; ') FROM ({blacklist})) "
        f"ELSE (SELECT group_concat(line, '; ') FROM ({loaded})) END AS found, "
        f"CASE i.item WHEN {lit(items[0])} THEN 1 "
        # every install directive for the module disables it, and there is one
        f"WHEN {lit(items[1])} THEN k.files IS NULL OR (SELECT count(*) > 0 "
        f"AND min(coalesce(disables, 0)) = 1 FROM ({install})) "
        f"WHEN {lit(items[2])} THEN k.files IS NULL OR EXISTS ({blacklist}) "
        f"ELSE NOT EXISTS ({loaded}) END AS ok "
        f"FROM (SELECT {available} AS files) k, ({literal_rows('item', items)}) i"
    )
    return Expanded(sql, ("item", "found"))


def _deb_present(status: str, *, on_disk: bool) -> str:
    """A deb_packages ``status`` that counts as installed. ``on_disk``: any state with
    the package's files (unpacked, half-configured...: all but config-files; osquery
    lists no not-installed package); else configured (installed, triggers-*)."""
    if on_disk:
        return f"{status} NOT LIKE '% config-files'"
    return f"({status} LIKE '% ok installed' OR {status} LIKE '% ok triggers-%')"


def _packages(spec: Sequence[str], ctx: Context, *, want_installed: bool) -> Expanded:
    table = _package_table(ctx)
    if ctx.packages == "rpm":
        where = "name = p.package"
    else:
        # absent means no files left (CIS: dpkg-query shows it not installed), present
        # means configured
        where = f"name = p.package AND {_deb_present('status', on_disk=not want_installed)}"
    installed = f"(SELECT min(version) FROM {table} WHERE {where})"
    test = "IS NOT NULL" if want_installed else "IS NULL"
    sql = (
        "SELECT package, installed_version, installed_version "
        f"{test} AS ok FROM (SELECT p.package AS package, {installed} AS installed_version "
        f"FROM ({literal_rows('package', spec)}) p) "
        # the package database was read at all: absence is then an observation
        f"WHERE EXISTS (SELECT 1 FROM {table})"
    )
    return Expanded(sql, ("package", "installed_version"))


def packages_absent(spec: Sequence[str], ctx: Context) -> Expanded:
    return _packages(spec, ctx, want_installed=False)


def packages_present(spec: Sequence[str], ctx: Context) -> Expanded:
    return _packages(spec, ctx, want_installed=True)


def service_not_in_use(spec: Mapping[str, Sequence[str]], ctx: Context) -> Expanded:
    """CIS "X services are not in use": the packages are absent, or their units are
    stopped and masked (CaC service_*_disabled, ansible-lockdown mask them).

    A unit that is active or enabled is in use whatever package brought it (nginx-core
    ships nginx.service without the nginx package). A loaded unit that is neither
    masked nor running counts only while one of the packages is installed. osquery's
    systemd_units lists loaded units only: a disabled unit nothing references is
    absent, and is not running.
    """
    names = ", ".join(lit(p) for p in spec["packages"])
    units = ", ".join(lit(u) for u in spec["units"])
    table = _package_table(ctx)
    present = "" if ctx.packages == "rpm" else f" AND {_deb_present('status', on_disk=True)}"
    installed = f"SELECT group_concat(name, ' ') FROM {table} WHERE name IN ({names}){present}"
    in_use = (
        "active_state IN ('active', 'activating', 'reloading', 'deactivating', 'refreshing') "
        "OR unit_file_state LIKE 'enabled%' OR (p.installed_packages IS NOT NULL "
        "AND load_state = 'loaded' AND unit_file_state <> 'masked')"
    )
    sql = (
        "SELECT installed_packages, units_in_use, units_in_use IS NULL AS ok "
        "FROM (SELECT p.installed_packages AS installed_packages, "
        "(SELECT group_concat(id || ' ' || active_state || '/' || unit_file_state, '; ') "
        f"FROM systemd_units WHERE id IN ({units}) AND ({in_use})) AS units_in_use "
        f"FROM (SELECT ({installed}) AS installed_packages) p) "
        f"WHERE EXISTS (SELECT 1 FROM {table})"
    )
    return Expanded(sql, ("installed_packages", "units_in_use"))


def units_enabled(spec: Sequence[str], ctx: Context) -> Expanded:
    sql = (
        "SELECT u.unit AS unit, s.active_state AS active_state, "
        "s.unit_file_state AS unit_file_state, "
        "(s.active_state = 'active' AND s.unit_file_state = 'enabled') AS ok "
        f"FROM ({literal_rows('unit', spec)}) u LEFT JOIN systemd_units s ON s.id = u.unit"
    )
    return Expanded(sql, ("unit", "active_state", "unit_file_state"))


def file(spec: Mapping[str, Any], ctx: Context) -> Expanded:
    paths = spec["paths"]
    allowed = int(spec["max_mode"], 8)
    tests = [
        "length(f.mode) = 4",
        f"({mode_int('f.mode')} & ~{allowed}) = 0",
    ]
    if "uid" in spec:
        tests.append(f"f.uid = {int(spec['uid'])}")
    if "gids" in spec:
        tests.append(f"f.gid IN ({', '.join(str(int(g)) for g in spec['gids'])})")
    present = " AND ".join(tests)
    ok = f"(f.path IS NOT NULL AND {present})"
    if spec.get("missing_ok"):
        # absence is an observation only when the parent directory was listed
        listed = f"SELECT directory FROM file WHERE directory IN ({_parents(paths)})"
        ok = f"({ok} OR (f.path IS NULL AND p.parent IN ({listed})))"
    in_list = ", ".join(lit(p) for p in paths)
    rows = " UNION ALL ".join(
        f"SELECT {lit(p)} AS path, {lit(p.rsplit('/', 1)[0] or '/')} AS parent" for p in paths
    )
    sql = (
        f"SELECT p.path AS path, f.mode AS mode, f.uid AS uid, f.gid AS gid, {ok} AS ok "
        f"FROM ({rows}) p LEFT JOIN "
        f"(SELECT path, mode, uid, gid FROM file WHERE path IN ({in_list})) f ON f.path = p.path"
    )
    return Expanded(sql, ("path", "mode", "uid", "gid"))


def _parents(paths: Sequence[str]) -> str:
    dirs = sorted({p.rsplit("/", 1)[0] or "/" for p in paths})
    return ", ".join(lit(d) for d in dirs)


# The value shown for a file that config's ``unparsed`` patterns list.
UNPARSED = "(not parsed by osquery 5.23.1's augeas lenses: its settings are unknown)"


def config(spec: Mapping[str, Any], ctx: Context) -> Expanded:
    """A setting read through the augeas table: one row per occurrence of ``key``.

    ``files``: paths (``%`` patterns are listed through ``file``) whose augeas nodes
    hold the setting; ``ok``: an SQL expression over ``value`` that every occurrence
    must satisfy. An unset key, once some node was read from the files, is a failing
    row, or a passing one with ``default_ok`` (the built-in default is compliant).

    ``unparsed``: ``file`` LIKE patterns of files the program also reads but that no
    lens of osquery 5.23.1 parses (the augeas table has no rows for them), e.g.
    ``['/etc/ssh/sshd_config.d/%.conf']``: the sshd lens reads only
    /etc/ssh/sshd_config, while sshd reads the included drop-ins first and keeps the
    first value it sees. Each such file that is not empty gives a failing row naming
    it, so a setting nobody could read never passes; empty files and empty or
    missing directories add nothing.
    """
    sources = []
    for pattern in spec["files"]:
        if "%" in pattern:
            where = f"path IN (SELECT path FROM file WHERE path LIKE {lit(pattern)})"
        else:
            where = f"path = {lit(pattern)}"
        sources.append(f"SELECT path, label, value FROM augeas WHERE {where}")
    union = " UNION ALL ".join(sources)
    key = lit(spec["key"].lower())
    occurrences = (
        f"SELECT path, label AS key, value, ({spec['ok']}) AS ok "
        f"FROM ({union}) WHERE lower(label) = {key}"
    )
    # An absent key is an observation once the files were parsed (some node was read):
    # the program then applies its built-in default, which passes only with default_ok
    # (CIS audits with `sshd -T`, which shows the defaults). Files never parsed leave
    # nothing observed: no_evidence.
    default_ok = 1 if spec.get("default_ok") else 0
    occurrences += (
        f" UNION ALL SELECT paths, {lit(spec['key'])}, '(not set: the default applies)', "
        f"{default_ok} FROM (SELECT group_concat(DISTINCT path) AS paths, count(*) AS nodes, "
        f"sum(lower(label) = {key}) AS hits FROM ({union})) WHERE nodes > 0 AND hits = 0"
    )
    for pattern in spec.get("unparsed", ()):
        occurrences += (
            f" UNION ALL SELECT path, {lit(spec['key'])}, "
            f"{lit(UNPARSED)}, 0 FROM file WHERE path LIKE {lit(pattern)} "
            "AND type <> 'directory' AND size > 0"
        )
    return Expanded(occurrences, ("path", "key", "value"))


def mount(spec: Mapping[str, Any], ctx: Context) -> Expanded:
    tests = ["m.path IS NOT NULL"] + [
        f"(',' || m.flags || ',') LIKE {lit('%,' + opt + ',%')}" for opt in spec.get("options", ())
    ]
    sql = (
        "SELECT p.path AS path, m.device AS device, m.type AS type, m.flags AS flags, "
        f"({' AND '.join(tests)}) AS ok "
        f"FROM ({literal_rows('path', [spec['path']])}) p LEFT JOIN mounts m ON m.path = p.path"
    )
    return Expanded(sql, ("path", "device", "type", "flags"))


def audit_loaded(spec: object, ctx: Context) -> Expanded:
    if not ctx.audit_rules:
        raise InternalError("audit_loaded needs the expected audit rule lines")
    # Loaded rules record nothing while the kernel's audit is off (`auditctl -e 0`):
    # `auditctl -s` enabled must be 1 or 2 (the agent's trails_status.audit_enabled;
    # empty when it could not be read, which does not pass either).
    sql = (
        "SELECT e.rule AS rule, EXISTS (SELECT 1 FROM trails_audit_rules t "
        "WHERE trim(t.rule) = e.rule) AS ok "
        f"FROM ({literal_rows('rule', ctx.audit_rules)}) e "
        "UNION ALL SELECT 'auditing enabled (auditctl -s: enabled ' "
        "|| coalesce(nullif(s.audit_enabled, ''), 'unknown') || ')', "
        "coalesce(s.audit_enabled IN ('1', '2'), 0) FROM trails_status s"
    )
    return Expanded(sql, ("rule",))


TEMPLATES: dict[str, Callable[[Any, Context], Expanded]] = {
    "sysctl": sysctl,
    "kernel_module": kernel_module,
    "packages_absent": packages_absent,
    "packages_present": packages_present,
    "service_not_in_use": service_not_in_use,
    "units_enabled": units_enabled,
    "file": file,
    "config": config,
    "mount": mount,
    "audit_loaded": audit_loaded,
}
