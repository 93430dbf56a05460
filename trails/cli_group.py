"""The click group behind every ``trails`` command except the host commands.

``trails.cli.main`` imports this module only when the command is not a host command
(``fetch``, ``verify``), so a host never pays for click. Host commands keep ONE
parser (argparse, in their own module); here they get a click entry that forwards the
raw arguments, so ``trails --help`` lists them and ``cli`` can still invoke them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import click

from trails import __version__
from trails.cli import COMMANDS, HOST_COMMANDS
from trails.errors import ExitCode, UsageError


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr, summary = entry
        command = getattr(importlib.import_module(module_name), attr)
        if cmd_name in HOST_COMMANDS:
            return _forwarding(cmd_name, command, summary)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attr} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _forwarding(name: str, run: Callable[[list[str]], int], summary: str) -> click.Command:
    """A click command that hands its raw arguments (``--help`` too) to ``run``."""

    @click.command(
        name,
        help=summary,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    @click.pass_context
    def forward(ctx: click.Context, args: tuple[str, ...]) -> None:
        ctx.exit(run(list(args)))

    return forward


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="trails")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Signed osquery and Linux audit configs for fleets, and the evidence auditors check.

    \b
    CI:      trails lint; trails build; trails sign dist/
    Hosts:   trails fetch            (verify, then install atomically)
    Audit:   trails report --results 'logs/*.log*'
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def run_click(args: list[str]) -> int:
    """Run ``cli`` on ``args``; click's own usage errors become exit 2."""
    try:
        # With standalone_mode off, ``ctx.exit(n)`` in a command returns n here.
        result = cli.main(args=args, prog_name="trails", standalone_mode=False)
    except click.exceptions.Abort as exc:
        # click turns these two into Abort; they are not usage errors
        if isinstance(exc.__cause__, KeyboardInterrupt):
            raise exc.__cause__ from None
        if isinstance(exc.__cause__, EOFError):  # a gzip input cut short, read in Python
            raise UsageError(f"an input ended early ({exc.__cause__}); check the files") from None
        click.echo("trails: aborted", err=True)
        return ExitCode.USAGE
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE
    return result if isinstance(result, int) else ExitCode.OK
