"""The tables the collector ports, by osquery name (one module per osquery source file)."""

from __future__ import annotations

from trails.collector.interface import Table
from trails.collector.tables import (
    apparmor_profiles,
    augeas,
    crontab,
    deb_packages,
    file,
    groups,
    interfaces,
    kernel_info,
    kernel_modules,
    listening_ports,
    mounts,
    os_version,
    process_open_sockets,
    processes,
    rpm_packages,
    selinux_settings,
    shadow,
    sudoers,
    suid_bin,
    system_controls,
    systemd_units,
    time,
    trails_status,
    user_groups,
    users,
    yum_sources,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        augeas.TABLE,
        deb_packages.TABLE,
        file.TABLE,
        os_version.TABLE,
        system_controls.TABLE,
        apparmor_profiles.TABLE,
        kernel_info.TABLE,
        kernel_modules.TABLE,
        mounts.TABLE,
        processes.TABLE,
        process_open_sockets.TABLE,
        listening_ports.TABLE,
        interfaces.TABLE,
        selinux_settings.TABLE,
        systemd_units.TABLE,
        time.TABLE,
        users.TABLE,
        groups.TABLE,
        user_groups.TABLE,
        shadow.TABLE,
        sudoers.TABLE,
        crontab.TABLE,
        yum_sources.TABLE,
        suid_bin.TABLE,
        rpm_packages.TABLE,
        trails_status.STATUS_TABLE,
        trails_status.AUDIT_RULES_TABLE,
    )
}
