"""``trails lint``: validate the policy repository without writing anything."""

from __future__ import annotations

from pathlib import Path

import click
import git

from trails.build.diagnostics import as_json, errors_of, github_annotation
from trails.build.pipeline import compile_repository
from trails.build.release import default_packs_dir
from trails.commands.common import emit_json
from trails.commands.policy_options import policy_source_options
from trails.osquery.schema import load_schema


def display_base(policies: Path) -> Path:
    """Paths in messages are relative to the git root (as CI annotations need), else cwd."""
    try:
        return Path(git.Repo(policies, search_parent_directories=True).working_dir)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return Path.cwd()


@click.command("lint")
@policy_source_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github prints workflow annotations (::error file=...); json is --json.",
)
@click.option(
    "--json", "json_flag", is_flag=True, help="Print one JSON document (as every command)."
)
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Check only this namespace (repeatable).",
)
@click.pass_context
def lint(
    ctx: click.Context,
    *,
    policies: Path,
    fmt: str,
    json_flag: bool,
    namespaces: tuple[str, ...],
    osquery_schema: Path | None,
    packs_dir: Path | None,
) -> None:
    """Check every policy, query and audit rule; print `file:line: severity: message`.

    Exits 1 when any error is found (warnings alone exit 0).
    """
    if json_flag:  # (as_json is the diagnostics' JSON form)
        if fmt not in ("text", "json"):
            raise click.UsageError(f"--json and --format {fmt} ask for two outputs; give one")
        fmt = "json"
    result = compile_repository(
        policies,
        schema=load_schema(osquery_schema),
        packs_dir=default_packs_dir(policies, packs_dir),
        display_base=display_base(policies.resolve()),
        namespaces=namespaces or None,
    )
    diags = result.diagnostics
    if fmt == "json":
        emit_json(as_json(diags, [c.namespace for c in result.namespaces]))
    elif fmt == "github":
        for d in diags:
            click.echo(github_annotation(d))
    else:
        for d in diags:
            click.echo(str(d))
        errors = len(errors_of(diags))
        click.echo(
            f"{len(result.namespaces)} namespace(s) ok, {errors} error(s), "
            f"{len(diags) - errors} warning(s)",
            err=True,
        )
    if errors_of(diags):
        ctx.exit(1)
