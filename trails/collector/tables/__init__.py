"""The tables the collector ports, by osquery name (one module per osquery source file)."""

from __future__ import annotations

from trails.collector.interface import Table
from trails.collector.tables import augeas, deb_packages, file, os_version, system_controls

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        augeas.TABLE,
        deb_packages.TABLE,
        file.TABLE,
        os_version.TABLE,
        system_controls.TABLE,
    )
}
