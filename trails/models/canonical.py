"""The one JSON encoding trails writes: sorted keys, two-space indent, UTF-8, final newline.

Everything that must be byte-for-byte reproducible (configs, manifests, reports) uses it;
signed JSON is read back with ``loads_unique``.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(obj: Any) -> bytes:
    text = json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


class DuplicateKeyError(ValueError):
    """A JSON object names a key twice: parsers disagree on which value wins, so a signed
    document could mean one thing to the signer and another to a verifier."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise DuplicateKeyError(f"repeats the key {key[:80]!r}")
        doc[key] = value
    return doc


def loads_unique(text: str | bytes, **options: Any) -> Any:
    """``json.loads`` that refuses an object repeating a key (``DuplicateKeyError``)."""
    return json.loads(text, object_pairs_hook=_unique_keys, **options)
