"""``deb_packages``: osquery/tables/system/linux/deb_packages.cpp through libdpkg.

Every package of ``/var/lib/dpkg/status`` (or each ``admindir =``) whose state is not
``not-installed``; ``status`` is ``want eflag state`` (``install ok installed``,
``deinstall ok config-files``).
"""

from __future__ import annotations

from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table

ADMINDIR = "/var/lib/dpkg"
_FIELDS = {
    "Version": "version",
    "Source": "source",
    "Installed-Size": "size",
    "Architecture": "arch",
    "Maintainer": "maintainer",
    "Section": "section",
    "Priority": "priority",
}


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """The ``Field: value`` paragraphs of a dpkg status file (continuation lines kept out)."""
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip():
            if fields:
                yield fields
            fields = {}
        elif not line[0].isspace() and ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    if fields:
        yield fields


def generate(host: Host, query: Query) -> Iterator[Row]:
    for admindir in query.texts("admindir") or [ADMINDIR]:
        try:
            text = host.path(admindir + "/status").read_text(errors="replace")
        except OSError:
            continue
        for fields in stanzas(text):
            status = fields.get("Status", "").split()
            if "Package" not in fields or len(status) != 3 or status[2] == "not-installed":
                continue
            row: Row = {"name": fields["Package"], "status": " ".join(status)}
            for key, column in _FIELDS.items():
                if key in fields:
                    row[column] = fields[key]
            version = fields.get("Version", "")
            row["revision"] = version.rsplit("-", 1)[1] if "-" in version else ""
            row["admindir"] = admindir
            yield row


TABLE = Table("deb_packages", generate, constrained=("admindir",))
