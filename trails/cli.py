"""The ``trails`` command: a thin click group that loads each subcommand lazily.

Each subcommand lives in ``trails/commands/<name>.py`` and is imported only when it
runs, so ``trails fetch`` on a host never imports the build or report stacks. Errors
become one-line messages and the exit codes of DESIGN.md §9; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import importlib
import sys
import traceback

import click

from trails import __version__
from trails.errors import ExitCode, TrailsError

# name -> (module, attribute, one-line help). The help is kept here so that
# ``trails --help`` lists every command without importing any of them.
# Each area adds its commands here when they land (one line each).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "build": ("trails.commands.build", "build", "Validate policies; write dist/<ns>/ releases."),
    "diff": ("trails.commands.diff", "diff", "What changes per namespace between two revisions."),
    "lint": ("trails.commands.lint", "lint", "Check policies, queries and audit rules only."),
    "fetch": ("trails.commands.fetch", "fetch", "Fetch, verify and install this host's release."),
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
    "verify": ("trails.commands.verify", "verify", "Verify a release dir or URL; install nothing."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr, _ = entry
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attr} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


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


def main(argv: list[str] | None = None) -> None:
    """Console entry point: map every failure to one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # With standalone_mode off, ``ctx.exit(n)`` in a command returns n here.
        result = cli.main(args=args, prog_name="trails", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("trails: aborted", err=True)
        sys.exit(ExitCode.USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except TrailsError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"trails: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        click.echo(
            f"trails: internal error: {type(exc).__name__}: {exc} (rerun with --debug "
            "and report it)",
            err=True,
        )
        sys.exit(ExitCode.INTERNAL)
    sys.exit(result if isinstance(result, int) else ExitCode.OK)
