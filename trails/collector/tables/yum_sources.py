"""``yum_sources``: osquery/tables/system/linux/yum_sources.cpp.

``/etc/yum.conf`` then every ``*.repo`` file (sorted, no dot files) of its
``[main] reposdir`` (default ``/etc/yum.repos.d``, taken as one directory even when
yum would read a list), each parsed as boost's ``read_ini`` does: one row per section
other than ``main`` that has at least one key (an empty section is dropped), and one
per key above the first section; ``name``, ``baseurl``, ``mirrorlist``, ``metalink``,
``enabled``, ``gpgcheck``, ``gpgkey`` are filled when present (the section's id is not
a column). A file ``read_ini`` rejects (a repeated section or key, a line with no
``=``, an unclosed ``[``) gives no rows, and a rejected ``yum.conf`` the default
reposdir.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator

from trails.collector.interface import Host, Query, Row, Table
from trails.collector.tables._ported import C_SPACE, read_text

YUM_CONF = "/etc/yum.conf"
REPOS_DIR = "/etc/yum.repos.d"
_OPTIONS = ("baseurl", "enabled", "gpgcheck", "name", "gpgkey", "mirrorlist", "metalink")

Tree = list[tuple[str, "str | list[tuple[str, str]]"]]


class IniError(ValueError):
    """What boost's ``ini_parser_error`` reports."""


def read_ini(text: str) -> Tree:
    """boost::property_tree::read_ini: top-level keys and sections in file order."""
    tree: Tree = []
    section: list[tuple[str, str]] | None = None
    for raw in text.split("\n"):
        line = raw.strip(C_SPACE)
        if not line or line[0] in ";#":
            continue
        if line[0] == "[":
            if section is not None and not section:
                tree.pop()
            end = line.find("]")
            if end < 0:
                raise IniError("unmatched '['")
            key = line[1:end].strip(C_SPACE)
            if any(name == key for name, _ in tree):
                raise IniError("duplicate section name")
            section = []
            tree.append((key, section))
            continue
        eq = line.find("=")
        if eq < 0:
            raise IniError("'=' character not found in line")
        if eq == 0:
            raise IniError("key expected")
        key, value = line[:eq].strip(C_SPACE), line[eq + 1 :].strip(C_SPACE)
        if section is None:
            if any(name == key for name, _ in tree):
                raise IniError("duplicate key name")
            tree.append((key, value))
        else:
            if any(name == key for name, _ in section):
                raise IniError("duplicate key name")
            section.append((key, value))
    if section is not None and not section:
        tree.pop()
    return tree


def _parse(host: Host, source: str) -> tuple[list[Row], str]:
    """(rows, reposdir) of one file; an unreadable or rejected file: ([], default)."""
    text = read_text(host, source)
    if text is None:
        return [], REPOS_DIR
    try:
        tree = read_ini(text)
    except IniError:
        return [], REPOS_DIR
    repos_dir = REPOS_DIR
    rows: list[Row] = []
    for name, children in tree:
        if name == "main":
            if isinstance(children, list):
                repos_dir = next((v for k, v in children if k == "reposdir"), REPOS_DIR)
            continue
        row: Row = {"source": source}
        if isinstance(children, list):
            for key, value in children:
                if key in _OPTIONS:
                    row[key] = value
        row["pid_with_namespace"] = "0"
        rows.append(row)
    return rows, repos_dir


def _repo_files(host: Host, repos_dir: str) -> list[str]:
    """``resolveFilePattern(reposdir + "/%.repo", GLOB_FILES)`` under the root
    (osqueryd's working directory, ``/``, anchors a relative reposdir)."""
    pattern = repos_dir + "/*.repo"
    if not pattern.startswith("/"):
        pattern = "/" + pattern
    root = str(host.root).rstrip("/")
    found = []
    for hit in sorted(glob.glob(glob.escape(root) + pattern)):
        if not os.path.isdir(hit):
            found.append(hit[len(root) :])
    return found


def generate(host: Host, query: Query) -> Iterator[Row]:
    rows, repos_dir = _parse(host, YUM_CONF)
    yield from rows
    for source in _repo_files(host, repos_dir):
        yield from _parse(host, source)[0]


TABLE = Table("yum_sources", generate)
