"""A minimal ctypes binding of libaugeas (Debian ``libaugeas0``), as osquery calls it.

osquery's ``augeas`` table opens augeas once with ``AUG_NO_ERR_CLOSE | AUG_NO_LOAD |
AUG_NO_STDINC | AUG_SAVE_NOOP`` and only its own lens directory on the load path, so
only the lenses osquery ships parse anything. The lenses of osquery 5.23.1 (augeas
1.12.0) ship with trails under ``trails/collector/lenses``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections import OrderedDict
from functools import cache
from pathlib import Path

from trails.errors import UsageError

LENSES = Path(__file__).parent / "lenses"
AUG_SAVE_NOOP = 1 << 4
AUG_NO_STDINC = 1 << 1
AUG_NO_LOAD = 1 << 5
AUG_NO_ERR_CLOSE = 1 << 8
_FLAGS = AUG_NO_ERR_CLOSE | AUG_NO_LOAD | AUG_NO_STDINC | AUG_SAVE_NOOP


@cache
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("augeas")
    if name is None:
        raise UsageError("libaugeas is not installed: apt-get install libaugeas0")
    lib = ctypes.CDLL(name)
    lib.aug_init.restype = ctypes.c_void_p
    lib.aug_init.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
    lib.aug_load.argtypes = [ctypes.c_void_p]
    lib.aug_defvar.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    lib.aug_match.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)),
    ]
    lib.aug_ns_attr.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.aug_close.argtypes = [ctypes.c_void_p]
    lib.aug_rm.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.free.argtypes = [ctypes.c_void_p]
    return lib


class Augeas:
    """One loaded augeas tree over a root directory."""

    def __init__(self, handle: int) -> None:
        self._handle = handle

    def nodes(self, pattern: str) -> list[tuple[str, str, str, str]]:
        """(node, value, label, file path) of every node ``pattern`` matches, as
        osquery's ``matchAugeasPattern`` emits them."""
        lib = _lib()
        if lib.aug_defvar(self._handle, b"matches", pattern.encode()) < 0:
            return []
        matches = ctypes.POINTER(ctypes.c_void_p)()
        count = lib.aug_match(self._handle, b"$matches", ctypes.byref(matches))
        if count < 0 or not matches:
            return []
        found = []
        for i in range(count):
            raw = matches[i]
            if not raw:
                continue
            node = ctypes.string_at(raw).decode(errors="replace")
            lib.free(raw)
            value = ctypes.c_char_p()
            label = ctypes.c_char_p()
            file = ctypes.c_void_p()
            lib.aug_ns_attr(
                self._handle,
                b"matches",
                i,
                ctypes.byref(value),
                ctypes.byref(label),
                ctypes.byref(file),
            )
            path = ""
            if file.value:
                path = ctypes.string_at(file.value).decode(errors="replace")[6:]
                lib.free(file)
            elif node.startswith("/files"):
                path = node[6:]
            found.append(
                (
                    node,
                    (value.value or b"").decode(errors="replace"),
                    (label.value or b"").decode(errors="replace"),
                    path,
                )
            )
        lib.free(matches)
        return found

    def close(self) -> None:
        if self._handle:
            _lib().aug_close(self._handle)
            self._handle = 0

    def reload(self) -> None:
        """Parse every file again: augeas skips files whose mtime it has seen, and a
        root rewritten within one second keeps its mtimes."""
        lib = _lib()
        lib.aug_rm(self._handle, b"/augeas/files")
        lib.aug_rm(self._handle, b"/files")
        lib.aug_load(self._handle)


# aug_init parses every lens (most of a second); a handle is kept per root and reloaded.
_OPEN: OrderedDict[tuple[str, str], Augeas] = OrderedDict()
_MAX_OPEN = 4


def load(root: Path, lenses: Path = LENSES) -> Augeas:
    """Augeas over ``root`` with only ``lenses``, every file its lenses include loaded."""
    key = (str(root), str(lenses))
    aug = _OPEN.pop(key, None)
    if aug is None:
        handle = _lib().aug_init(str(root).encode(), str(lenses).encode(), _FLAGS)
        if not handle:
            raise UsageError("libaugeas could not be initialised")
        aug = Augeas(handle)
    _OPEN[key] = aug
    while len(_OPEN) > _MAX_OPEN:
        _OPEN.popitem(last=False)[1].close()
    aug.reload()
    return aug
