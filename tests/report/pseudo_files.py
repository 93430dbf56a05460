"""Files of /proc and /sys whose size is not what they hold, for the tests of reading
results through links to them (a log directory may hold such a link)."""

from __future__ import annotations

from pathlib import Path


def _first(*candidates: str) -> Path:
    """The first that exists (kernels and sandboxes differ), else the first, which the
    test then names as missing."""
    return next((Path(c) for c in candidates if Path(c).is_file()), Path(candidates[0]))


# says 0 bytes and blocks a read until the kernel logs a line (which the read consumes)
BLOCKING = Path("/proc/kmsg")
# says 0 bytes, holds a line
SIZE_ZERO = _first("/proc/version", "/proc/cmdline")
# says 4096 bytes, holds a few
SHORT = _first(
    "/sys/kernel/mm/transparent_hugepage/enabled",
    "/sys/devices/system/cpu/online",
    "/sys/kernel/mm/transparent_hugepage/defrag",
)
# open() is refused even to root (a write-only sysfs attribute)
UNREADABLE = _first("/sys/bus/pci/rescan", "/sys/bus/platform/drivers_probe")
