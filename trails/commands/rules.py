"""``trails rules``: check auditctl rule files, and print them as ``auditctl -l`` would."""

from __future__ import annotations

from pathlib import Path

import click

from trails.audit_rules import AuditRule, normalise, read_file, with_validation
from trails.audit_rules.normalise import default_arch
from trails.audit_rules.tables import MACHINES
from trails.commands.common import emit_json
from trails.models.diagnostic import Diagnostic, Severity

_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
_ARCH = click.Choice(sorted(MACHINES))


@click.group("rules")
def rules() -> None:
    """Check auditctl rule files and print their canonical form."""


@rules.command("check")
@_FILES
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for scripts.")
@click.option(
    "--arch",
    type=_ARCH,
    default="x86_64",
    show_default=True,
    help="Machine the rules are for (b64/b32 and syscall names depend on it).",
)
@click.pass_context
def check(ctx: click.Context, files: tuple[Path, ...], as_json: bool, arch: str) -> None:
    """Validate FILES as strictly as auditctl, plus lint warnings.

    Prints FILE:LINE: SEVERITY: MESSAGE for each finding; exits 1 if any is an error.
    """
    diags: list[Diagnostic] = []
    for path in files:
        diags.extend(with_validation(read_file(path), arch=arch).diagnostics)
    errors = sum(d.severity is Severity.ERROR for d in diags)
    if as_json:
        emit_json(
            {
                "files": [str(p) for p in files],
                "errors": errors,
                "warnings": len(diags) - errors,
                "diagnostics": [d.as_dict() for d in diags],
            }
        )
    else:
        for d in diags:
            click.echo(str(d))
        click.echo(
            f"{len(files)} file(s): {errors} error(s), {len(diags) - errors} warning(s)", err=True
        )
    if errors:
        ctx.exit(1)


@rules.command("normalise")
@_FILES
@click.option(
    "--arch", type=_ARCH, default=None, help="Machine to normalise for [default: this one]."
)
@click.pass_context
def normalise_cmd(ctx: click.Context, files: tuple[Path, ...], arch: str | None) -> None:
    """Print each rule of FILES exactly as `auditctl -l` lists it, in file order.

    Control lines (-D, -b, -e, ...) are omitted: auditctl -l does not list them.
    Compare with a live host: diff <(trails rules normalise f.rules) <(auditctl -l)
    """
    host = arch or default_arch()
    for path in files:
        result = with_validation(read_file(path), arch=host)
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        for d in errors:
            click.echo(str(d), err=True)
        if errors:
            ctx.exit(1)
        for rule in result.rules:
            if isinstance(rule, AuditRule):
                click.echo(normalise(rule, arch=host))
