from __future__ import annotations

import subprocess
import sys

import click
import pytest

from trails import cli as cli_module
from trails.cli import COMMANDS, main
from trails.errors import ExitCode, TransportError, VerificationError


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trails", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_every_command_without_importing_them() -> None:
    out = run(["--help"])
    assert out.returncode == 0
    for name in COMMANDS:
        assert name in out.stdout


def test_unknown_command_is_a_usage_error() -> None:
    out = run(["no-such-command"])
    assert out.returncode == ExitCode.USAGE
    assert "No such command" in out.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_loads(name: str) -> None:
    ctx = click.Context(cli_module.cli)
    assert isinstance(cli_module.cli.get_command(ctx, name), click.Command)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (VerificationError("signature does not verify; check the signer key"), 3),
        (TransportError("connection refused; is the server up?"), 4),
        (RuntimeError("boom"), 5),
    ],
)
def test_errors_map_to_exit_codes_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exc: Exception, code: int
) -> None:
    @click.command()
    def explode() -> None:
        raise exc

    monkeypatch.setitem(COMMANDS, "explode", ("tests.test_cli", "explode", "x"))
    monkeypatch.setattr(sys.modules[__name__], "explode", explode, raising=False)
    with pytest.raises(SystemExit) as info:
        main(["explode"])
    assert info.value.code == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_debug_shows_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @click.command()
    def explode() -> None:
        raise TransportError("down")

    monkeypatch.setitem(COMMANDS, "explode", ("tests.test_cli", "explode", "x"))
    monkeypatch.setattr(sys.modules[__name__], "explode", explode, raising=False)
    with pytest.raises(SystemExit) as info:
        main(["--debug", "explode"])
    assert info.value.code == 4
    assert "Traceback" in capsys.readouterr().err


def test_in_process_help_unknown_command_and_abort(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == ExitCode.USAGE
    assert "No such command" in capsys.readouterr().err

    @click.command()
    def interrupted() -> None:
        raise click.exceptions.Abort

    monkeypatch.setitem(COMMANDS, "interrupted", ("tests.test_cli", "interrupted", "x"))
    monkeypatch.setattr(sys.modules[__name__], "interrupted", interrupted, raising=False)
    with pytest.raises(SystemExit) as info:
        main(["interrupted"])
    assert info.value.code == ExitCode.USAGE
    assert capsys.readouterr().err == "trails: aborted\n"


def test_a_registered_attribute_that_is_not_a_command_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(COMMANDS, "broken", ("tests.test_cli", "NOT_A_COMMAND", "x"))
    with pytest.raises(SystemExit) as info:
        main(["--debug", "broken"])
    assert info.value.code == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "tests.test_cli.NOT_A_COMMAND is not a click command" in err


def test_ctrl_c_in_a_host_command_is_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(args: list[str]) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("trails.commands.fetch.run", interrupted)
    with pytest.raises(SystemExit) as info:
        main(["fetch"])
    assert info.value.code == 130


NOT_A_COMMAND = "a string"
