"""Running external commands without subprocess: output, exit codes, deadlines, bounds."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from trails.agent import command
from trails.agent.command import CommandTimeout, run_command


def test_output_and_exit_status_are_collected() -> None:
    done = run_command(["sh", "-c", "echo out; echo err >&2; exit 3"], 5)
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
    assert done.argv == ("sh", "-c", "echo out; echo err >&2; exit 3")


def test_both_streams_are_drained_at_once() -> None:
    # 200 kB on each pipe: reading one stream to its end first would deadlock.
    script = "head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2; echo done"
    done = run_command(["sh", "-c", script], 10)
    assert (len(done.stdout), len(done.stderr)) == (200005, 200000)


def test_stdin_is_empty_and_no_descriptor_leaks(tmp_path: Path) -> None:
    assert run_command(["cat"], 5).stdout == ""
    fd = os.open(tmp_path / "secret", os.O_WRONLY | os.O_CREAT)
    os.set_inheritable(fd, True)  # as if this process had inherited it
    try:
        fds = run_command(["sh", "-c", "ls /proc/$$/fd"], 5).stdout.split()
    finally:
        os.close(fd)
    assert sorted(fds) == ["0", "1", "2"]


def test_the_child_gets_default_sigpipe_and_sigxfsz() -> None:
    """Python ignores SIGPIPE; an ignored signal survives exec unless reset."""
    status = run_command(["sh", "-c", "grep SigIgn /proc/self/status"], 5).stdout
    ignored = int(status.split()[1], 16)
    assert ignored & (1 << (13 - 1)) == 0  # SIGPIPE
    assert ignored & (1 << (25 - 1)) == 0  # SIGXFSZ
    assert run_command(["sh", "-c", "yes | head -c 1 >/dev/null; echo ok"], 5).stdout == "ok\n"


def test_a_signal_is_a_negative_exit_status() -> None:
    assert run_command(["sh", "-c", "kill -9 $$"], 5).returncode == -9


def test_a_missing_command_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_command([str(tmp_path / "nope")], 5)
    with pytest.raises(FileNotFoundError):
        run_command(["trails-no-such-command-on-path"], 5)


@pytest.mark.parametrize(
    "script",
    ["echo $$ > {pid}; exec sleep 30", "echo $$ > {pid}; exec >&- 2>&-; exec sleep 30"],
    ids=["writes-nothing", "closes-its-output"],
)
def test_the_deadline_kills_and_reaps_the_child(tmp_path: Path, script: str) -> None:
    pid_file = tmp_path / "pid"
    start = time.monotonic()
    with pytest.raises(CommandTimeout, match="did not finish in time"):
        run_command(["sh", "-c", script.format(pid=pid_file)], 0.5)
    assert time.monotonic() - start < 5
    with pytest.raises(ProcessLookupError):  # killed and reaped, not a zombie
        os.kill(int(pid_file.read_text()), 0)


def test_output_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "MAX_OUTPUT", 1000)
    with pytest.raises(CommandTimeout, match="wrote more than 1000 bytes"):
        run_command(["sh", "-c", "head -c 5000 /dev/zero; sleep 30"], 10)
