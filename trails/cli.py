"""The ``trails`` command: subcommands load lazily; errors become one line and an exit code.

Each subcommand lives in ``trails/commands/<name>.py`` and is imported only when it
runs, so ``trails fetch`` on a host never imports the build or report stacks. Host
commands (``HOST_COMMANDS``: fetch, verify) go further: they parse their own arguments
with argparse and run before click is even imported, because a host runs them from a
timer and click alone costs as much as starting the interpreter. Every other command runs
through the click group in ``trails.cli_group``. Errors become one-line messages and
the exit codes of docs/design.md §9; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from trails.errors import ExitCode, Terminated, TrailsError

if TYPE_CHECKING:
    import click

# name -> (module, attribute, one-line help). The help is kept here so that
# ``trails --help`` lists every command without importing any of them.
# Each area adds its commands here when they land (one line each).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "build": ("trails.commands.build", "build", "Validate policies; write dist/<ns>/ releases."),
    "check": ("trails.commands.check", "check", "Evaluate the packs' controls on this host now."),
    "diff": ("trails.commands.diff", "diff", "What changes per namespace between two revisions."),
    "lint": ("trails.commands.lint", "lint", "Check policies, queries and audit rules only."),
    "fetch": ("trails.commands.fetch", "run", "Fetch, verify and install this host's release."),
    "pki": ("trails.commands.pki", "pki", "Development PKI: root, intermediate, signers, CRLs."),
    "verify-report": (
        "trails.commands.report_verify",
        "verify_report",
        "Verify a signed report envelope and every report file it lists.",
    ),
    "report": ("trails.commands.report", "report", "Fleet osquery results -> CIS/PCI evidence."),
    "simulate": ("trails.commands.simulate", "simulate_command", "Write simulated fleet results."),
    "rules": ("trails.commands.rules", "rules", "Check audit rule files; print auditctl -l form."),
    "sign": ("trails.commands.sign", "sign", "Sign dist/<namespace>/manifest.json releases."),
    "verify": ("trails.commands.verify", "run", "Verify a release dir or URL; install nothing."),
}

# Commands whose COMMANDS attribute is ``run(args: list[str]) -> int`` with its own
# argparse parser: ``main`` runs them without click (``trails [--debug] fetch ...``).
HOST_COMMANDS = frozenset({"fetch", "verify"})


def __getattr__(name: str) -> click.Group:
    # ``trails.cli.cli``, the click group, is imported on first use only.
    if name == "cli":
        from trails.cli_group import cli  # noqa: PLC0415 - keeps host commands click-free

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: map every failure to one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    # ``--debug`` is the only group option that may precede a host command.
    position = next((i for i, arg in enumerate(args) if arg != "--debug"), len(args))
    if position < len(args) and args[position] in HOST_COMMANDS:
        module_name, attr, _ = COMMANDS[args[position]]
        run: Callable[[list[str]], int] = getattr(importlib.import_module(module_name), attr)
        rest = args[position + 1 :]
        sys.exit(guarded(lambda: run(rest), debug=debug))
    from trails.cli_group import run_click  # noqa: PLC0415 - keeps host commands click-free

    sys.exit(guarded(lambda: run_click(args), debug=debug))


def guarded(command: Callable[[], int], *, debug: bool) -> int:
    """Run ``command``; a ``TrailsError`` is one line on stderr and its exit code."""
    try:
        return command()
    except TrailsError as exc:
        if debug:
            _print_traceback()
        print(f"trails: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("trails: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("trails: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except Exception as exc:
        if debug:
            _print_traceback()
        print(
            f"trails: internal error: {type(exc).__name__}: {exc} (rerun with --debug "
            "and report it)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL


def _print_traceback() -> None:
    import traceback  # noqa: PLC0415 - only for --debug; a host's timer run never needs it

    traceback.print_exc()
