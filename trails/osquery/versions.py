"""osquery's version comparison: the ``version*`` collations and ``version_compare()``.

A port of ``osquery/sql/sqlite_collation.cpp``: segments are compared character by
character until a delimiter (``~-^.:``); the ARCH, DPKG and RHEL flavours add epoch
handling, delimiter precedence and the tilde/caret remainder rules of those packagers.
"""

from __future__ import annotations

from collections.abc import Callable

_DELIMITERS = "~-^.:"
# Precedence of delimiters when both sides have one (RHEL flavour).
_PRECEDENCE = {"~": 1, "-": 2, "^": 3, ".": 4, ":": 5}


def _compare_epoch(left: str, right: str) -> int:
    l_epoch, r_epoch = left.find(":"), right.find(":")
    if l_epoch >= 0 and r_epoch >= 0:
        return l_epoch - r_epoch
    if l_epoch >= 0:
        return 1
    if r_epoch >= 0:
        return -1
    return 0


def _compare_remainder(left: str, right: str, pos: int, remaining: bool) -> int:
    # Tilde sorts before the end of a version, caret after it, hyphen equal to it.
    if remaining:
        if len(left) == pos and pos < len(right):
            return {"~": 1, "-": 0, "^": -1}.get(right[pos], len(left) - len(right))
        if len(right) == pos and pos < len(left):
            return {"~": -1, "-": 0, "^": 1}.get(left[pos], len(left) - len(right))
    return len(left) - len(right)


def compare(
    left: str,
    right: str,
    *,
    epoch: bool = False,
    precedence: bool = False,
    remaining: bool = False,
) -> int:
    """Negative, zero or positive like ``strcmp``; the algorithm osquery uses."""
    if epoch and (diff := _compare_epoch(left, right)):
        return diff
    first_diff = 0
    for lch, rch in zip(left, right, strict=False):
        l_delim, r_delim = lch in _DELIMITERS, rch in _DELIMITERS
        if not l_delim and not r_delim:
            first_diff = first_diff or ord(lch) - ord(rch)
            continue
        if l_delim and not r_delim:
            return -1
        if r_delim and not l_delim:
            return 1
        if first_diff:
            return first_diff
        if precedence and (diff := _PRECEDENCE[lch] - _PRECEDENCE[rch]):
            return diff
    if first_diff:
        return first_diff
    return _compare_remainder(left, right, min(len(left), len(right)), remaining)


def compare_generic(left: str, right: str) -> int:
    return compare(left, right)


def compare_arch(left: str, right: str) -> int:
    return compare(left, right, epoch=True, remaining=True)


def compare_dpkg(left: str, right: str) -> int:
    return compare(left, right, epoch=True)


def compare_rhel(left: str, right: str) -> int:
    return compare(left, right, epoch=True, precedence=True, remaining=True)


COLLATIONS: dict[str, Callable[[str, str], int]] = {
    "version": compare_generic,
    "version_arch": compare_arch,
    "version_dpkg": compare_dpkg,
    "version_rhel": compare_rhel,
}
# version_compare()'s optional third argument, by name or by osquery's enum value.
FLAVOURS: dict[str, Callable[[str, str], int]] = {
    "ARCH": compare_arch,
    "1": compare_arch,
    "DPKG": compare_dpkg,
    "2": compare_dpkg,
    "RHEL": compare_rhel,
    "3": compare_rhel,
}
