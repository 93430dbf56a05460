"""The one JSON encoding trails writes: sorted keys, two-space indent, UTF-8, final newline.

Everything that must be byte-for-byte reproducible (configs, manifests, reports) uses it.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(obj: Any) -> bytes:
    text = json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
