"""Namespaces (``linux/pci``) and the signer patterns that authorise them (design §3, §5)."""

from __future__ import annotations

import re

MAX_DEPTH = 8
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_MAX_SEGMENT_LEN = 63


def namespace_error(namespace: str) -> str | None:
    """Why ``namespace`` is not a valid namespace, or None when it is."""
    if not namespace:
        return "namespace is empty"
    segments = namespace.split("/")
    if len(segments) > MAX_DEPTH:
        return f"namespace {namespace!r} is {len(segments)} levels deep; at most {MAX_DEPTH}"
    for seg in segments:
        if len(seg) > _MAX_SEGMENT_LEN or not _SEGMENT.match(seg):
            return (
                f"namespace segment {seg!r} of {namespace!r} must match "
                "[a-z0-9][a-z0-9_-]* (at most 63 characters)"
            )
    return None


def is_namespace(namespace: str) -> bool:
    return namespace_error(namespace) is None


def ancestors(namespace: str) -> list[str]:
    """``linux/debian/web`` -> ``["linux", "linux/debian", "linux/debian/web"]`` (root first)."""
    parts = namespace.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def pattern_matches(pattern: str, namespace: str) -> bool:
    """Does a signer's namespace pattern cover ``namespace``?

    ``*`` covers everything; ``linux/*`` covers ``linux`` and everything below it;
    any other pattern covers exactly that namespace. ``*`` is only allowed as a whole
    last segment, so ``lin*`` is never a wildcard (it matches nothing valid).
    """
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        base = pattern[:-2]
        return namespace == base or namespace.startswith(base + "/")
    return pattern == namespace


def pattern_error(pattern: str) -> str | None:
    """Why a signer namespace pattern is malformed, or None."""
    if pattern == "*":
        return None
    base = pattern[:-2] if pattern.endswith("/*") else pattern
    err = namespace_error(base)
    return f"bad namespace pattern {pattern!r}: {err}" if err else None
