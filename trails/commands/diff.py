"""``trails diff``: what a change to the policies changes for hosts, per namespace."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from trails.build.diagnostics import failure
from trails.build.diff import diff_builds, render_text
from trails.build.pipeline import CompiledNamespace, compile_repository
from trails.build.release import default_packs_dir
from trails.build.revisions import export_revision
from trails.build.version import open_repo
from trails.commands.common import emit_json
from trails.commands.policy_options import policy_source_options
from trails.osquery.schema import OsquerySchema, load_schema


def _compile(
    policies: Path, packs_dir: Path, base: Path, schema: OsquerySchema, label: str
) -> tuple[CompiledNamespace, ...]:
    if not policies.is_dir():
        return ()  # the policies did not exist at that revision
    result = compile_repository(policies, schema=schema, packs_dir=packs_dir, display_base=base)
    if not result.ok:
        for d in result.diagnostics:
            click.echo(f"trails: {label}: {d}", err=True)
        raise failure(result.diagnostics, f"cannot diff: {label} does not build")
    return result.namespaces


@click.command("diff")
@click.argument("ref_a", required=False)
@click.argument("ref_b", required=False)
@click.option("--against", metavar="REF", help="Compare REF with the working tree.")
@policy_source_options
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(
    *,
    ref_a: str | None,
    ref_b: str | None,
    against: str | None,
    policies: Path,
    packs_dir: Path | None,
    osquery_schema: Path | None,
    as_json: bool,
) -> None:
    """Build two revisions and list, per namespace, queries added/removed/changed,
    options changed and audit rules added/removed.

    \b
    trails diff main HEAD        two commits
    trails diff --against main   main vs the working tree
    """
    if against is not None and (ref_a or ref_b):
        raise click.UsageError("give REF_A REF_B or --against REF, not both")
    if against is None and not (ref_a and ref_b):
        raise click.UsageError("give two revisions (REF_A REF_B) or --against REF")
    schema = load_schema(osquery_schema)
    packs = default_packs_dir(policies, packs_dir).resolve()
    root = Path(open_repo(policies).working_dir).resolve()
    policies = policies.resolve()
    builds = []
    with tempfile.TemporaryDirectory(prefix="trails-diff-") as tmp:
        revisions = [against, None] if against is not None else [ref_a, ref_b]
        for i, ref in enumerate(revisions):
            if ref is None:
                builds.append(_compile(policies, packs, root, schema, "working tree"))
                continue
            dest = Path(tmp) / str(i)
            export_revision(root, ref, [policies, packs], dest)
            builds.append(
                _compile(
                    dest / policies.relative_to(root),
                    dest / packs.relative_to(root),
                    dest,
                    schema,
                    ref,
                )
            )
    diffs = diff_builds(builds[0], builds[1])
    if as_json:
        emit_json({"namespaces": [d.as_dict() for d in diffs]})
    else:
        click.echo(render_text(diffs), nl=False)
