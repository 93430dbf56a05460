"""Where tests find reference data that is not part of the repository.

One setting: ``TRAILS_SHARED_DIR`` (default ``../shared`` beside the clone, where CI lays
out the project's shared reference data, e.g. osquery's official 5.23.1 schema). No test
reads any other path outside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DIR = Path(
    os.environ.get("TRAILS_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")
)
