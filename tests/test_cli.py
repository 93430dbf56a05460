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
