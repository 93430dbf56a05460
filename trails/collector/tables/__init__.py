"""The tables the collector ports, by osquery name (one module per osquery source file)."""

from __future__ import annotations

from trails.collector.interface import Table
from trails.collector.tables import (
    apparmor_profiles,
    augeas,
    deb_packages,
    file,
    kernel_info,
    kernel_modules,
    mounts,
    os_version,
    processes,
    selinux_settings,
    system_controls,
    systemd_units,
    time,
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
        selinux_settings.TABLE,
        systemd_units.TABLE,
        time.TABLE,
    )
}
