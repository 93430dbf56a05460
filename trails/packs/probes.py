"""Which osquery tables must have returned something before a verdict may use them.

A table that a real host always fills (packages, users, mounts, the clock) and that
comes back empty means osquery could not read it: a check reading it says
``no_evidence``, never ``pass`` (nor ``not_applicable`` from an applicability query).
Tables that can be empty on a compliant host (``iptables``, ``crontab``, ``sudoers``,
``listening_ports``...) have no probe: their checks must fail closed on their own.
Each probe is cheap and uses the constraints osquery needs (``file`` wants a path).
"""

from __future__ import annotations

from trails.models.status import AUDIT_RULES, STATUS

_SCAN = "EXISTS (SELECT 1 FROM {})"
PROBES: dict[str, str] = {
    "augeas": "EXISTS (SELECT 1 FROM augeas WHERE node = '/augeas/root')",
    "file": "EXISTS (SELECT 1 FROM file WHERE path = '/')",
    "system_controls": (
        "EXISTS (SELECT 1 FROM system_controls WHERE name = 'kernel.ostype' "
        "AND coalesce(current_value, '') <> '')"
    ),
    "os_version": "EXISTS (SELECT 1 FROM os_version WHERE platform <> 'posix')",
    # the agent's database was read; an empty rule list is then a real observation
    AUDIT_RULES.osquery_name: _SCAN.format(STATUS.osquery_name),
    **{
        t: _SCAN.format(t)
        for t in (
            "deb_packages",
            "rpm_packages",
            "systemd_units",
            "mounts",
            "kernel_modules",
            "kernel_info",
            "users",
            "groups",
            "shadow",
            "processes",
            "interface_details",
            "time",
            STATUS.osquery_name,
        )
    },
}
