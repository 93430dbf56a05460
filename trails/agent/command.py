"""Run one external command (auditctl, augenrules, the osquery reload) with a deadline.

``os.posix_spawnp`` with two pipes and ``select.poll`` rather than ``subprocess``: the
agent runs ``auditctl -l`` on every timer run, and importing subprocess (with the
threading, signal, selectors and locale modules it pulls in) costs more than the
rest of a run that finds nothing new. The child gets ``/dev/null`` as stdin and
inherits no other descriptor (Python opens its own close-on-exec; ones this process
inherited are closed in the child, as subprocess does). Output is capped at
``MAX_OUTPUT`` bytes per stream; at the deadline the child is killed and reaped.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Sequence
from typing import NamedTuple

MAX_OUTPUT = 16 * 1024 * 1024
_SIGKILL = 9  # signal.SIGKILL on Linux; the signal module would be one more import
# Python ignores SIGPIPE and SIGXFSZ, and exec keeps ignored signals: reset them in the
# child as subprocess does (restore_signals), or `auditctl -l | head` style pipelines in
# a reload command would see EPIPE instead of dying quietly.
_RESTORED_SIGNALS = (13, 25)  # SIGPIPE, SIGXFSZ on Linux
_READ = 64 * 1024


class CommandTimeout(OSError):
    """The command did not finish before its deadline (it has been killed)."""


class Completed(NamedTuple):  # a NamedTuple: see trails.agent.agent on the 304 budget
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_command(argv: Sequence[str], timeout: float) -> Completed:
    """Run ``argv`` (looked up on PATH) and collect its output; OSError if it cannot run."""
    args = tuple(argv)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawnp(
            args[0],
            args,
            os.environ,
            file_actions=[
                *_close_inherited(),
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1),
                (os.POSIX_SPAWN_DUP2, err_w, 2),
            ],
            setsigdef=_RESTORED_SIGNALS,
        )
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    try:
        output = _collect(pid, (out_r, err_r), time.monotonic() + timeout, args[0])
        status = _reap(pid, time.monotonic() + timeout, args[0])
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(out_r)
        os.close(err_r)
    return Completed(args, os.waitstatus_to_exitcode(status), *output)


def _close_inherited() -> list[tuple[int, int]]:
    """Close actions for the descriptors above 2 that would survive exec."""
    actions = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):
                actions.append((os.POSIX_SPAWN_CLOSE, fd))
        except OSError:
            pass  # the descriptor listdir itself used, closed by now
    return actions


def _collect(pid: int, fds: tuple[int, int], deadline: float, name: str) -> tuple[str, str]:
    buffers = {fd: bytearray() for fd in fds}
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    open_fds = len(fds)
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CommandTimeout(f"{name} did not finish in time (killed)")
        for fd, _ in poller.poll(remaining * 1000):
            data = os.read(fd, _READ)
            if not data:
                poller.unregister(fd)
                open_fds -= 1
            elif len(buffers[fd]) + len(data) > MAX_OUTPUT:
                raise CommandTimeout(f"{name} wrote more than {MAX_OUTPUT} bytes (killed)")
            else:
                buffers[fd] += data
    out, err = (bytes(buffers[fd]).decode("utf-8", "replace") for fd in fds)
    return out, err


def _reap(pid: int, deadline: float, name: str) -> int:
    """Wait for the child that closed its output; it too is bound by the deadline."""
    delay = 0.0005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            raise CommandTimeout(f"{name} did not finish in time (killed)")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _kill(pid: int) -> None:
    """Kill and reap the child after a timeout or an interrupt (no zombie is left)."""
    try:
        os.kill(pid, _SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass  # it was reaped already
