"""``trails build``: policy sources -> dist/<namespace>/{osquery.conf,audit.rules,manifest.json}."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click
from click.termui import progressbar

from trails.build.diagnostics import errors_of, failure
from trails.build.release import build_release, default_packs_dir
from trails.commands.common import emit_json
from trails.commands.policy_options import policy_source_options
from trails.osquery.schema import load_schema

PROGRESS_THRESHOLD = 20  # namespaces; fewer build too fast for a bar to help


def progress(items: Iterable[str]) -> Iterator[str]:
    chosen = list(items)
    if len(chosen) < PROGRESS_THRESHOLD:
        yield from chosen
        return
    with progressbar(chosen, label="building namespaces", file=sys.stderr) as bar:
        yield from bar


@click.command("build")
@policy_source_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("dist"),
    show_default=True,
    help="Where to write <namespace>/ release files.",
)
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Build only this namespace (repeatable).",
)
@click.option("--allow-dirty", is_flag=True, help="Build even with uncommitted policy changes.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def build(
    *,
    policies: Path,
    out: Path,
    namespaces: tuple[str, ...],
    allow_dirty: bool,
    osquery_schema: Path | None,
    packs_dir: Path | None,
    as_json: bool,
) -> None:
    """Validate the policies and write one release per namespace.

    Output is byte-identical for the same commit. Nothing is written if any namespace
    has an error; run `trails lint` to list every problem.
    """
    result = build_release(
        policies,
        out,
        schema=load_schema(osquery_schema),
        packs_dir=default_packs_dir(policies, packs_dir),
        namespaces=namespaces or None,
        allow_dirty=allow_dirty,
        progress=progress,
    )
    diags = result.compiled.diagnostics
    errors = errors_of(diags)
    for d in diags:
        if d not in errors or len(errors) > 1:
            click.echo(f"trails: {d}", err=True)
    if errors:
        raise failure(diags, "nothing was written")
    source = result.source
    if source.dirty:
        click.echo(
            f"trails: warning: built from a dirty tree; the output may not match "
            f"commit {source.commit[:7]}",
            err=True,
        )
    built = [c.namespace for c in result.compiled.namespaces]
    if as_json:
        emit_json(
            {
                "namespaces": built,
                "out": str(out),
                "version": source.version,
                "config_version": source.config_version,
                "commit": source.commit,
            }
        )
        return
    click.echo(
        f"built {len(built)} namespace(s) into {out} "
        f"(config_version {source.config_version}): {', '.join(built)}"
    )
