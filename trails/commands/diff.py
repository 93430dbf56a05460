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
from trails.errors import UsageError
from trails.osquery.schema import OsquerySchema, load_schema

WORKING_TREE = "working tree"


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


def _revisions(ref_a: str | None, ref_b: str | None, against: str | None) -> list[str | None]:
    """The old and new side; ``None`` is the working tree."""
    if against is not None:
        if ref_a or ref_b:
            raise click.UsageError("give REV [REV] or --against REV, not both")
        return [against, None]
    return [ref_a or "HEAD", ref_b]


@click.command("diff")
@click.argument("ref_a", metavar="[REV_A", required=False)
@click.argument("ref_b", metavar="[REV_B]]", required=False)
@click.option(
    "--against",
    metavar="REV",
    help="Same as giving REV alone: compare REV with the working tree (kept for scripts).",
)
@policy_source_options
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when there are differences, 0 when there are none (as git diff).",
)
@click.pass_context
def diff(
    ctx: click.Context,
    *,
    ref_a: str | None,
    ref_b: str | None,
    against: str | None,
    policies: Path,
    packs_dir: Path | None,
    osquery_schema: Path | None,
    as_json: bool,
    exit_code: bool,
) -> None:
    """Build two versions of the policies and show, per namespace, what hosts would get:
    queries added / removed / changed with their SQL (old and new), options changed
    (old -> new), audit rules added / removed (the rule text) and other settings changed.

    \b
    trails diff                  HEAD vs the working tree
    trails diff main             main vs the working tree (as git diff main)
    trails diff main HEAD        two commits
    trails diff --exit-code      exit 1 when anything differs (CI gates)

    \b
    A --packs directory outside the repository is not versioned there: both sides
    read its current contents (a note on stderr says so).
    """
    old_ref, new_ref = _revisions(ref_a, ref_b, against)
    schema = load_schema(osquery_schema)
    packs = default_packs_dir(policies, packs_dir).resolve()
    root = Path(open_repo(policies).working_dir).resolve()
    policies = policies.resolve()
    if not policies.is_relative_to(root):  # pragma: no cover - open_repo found it from there
        raise UsageError(f"--policies {policies} is not inside the repository {root}")
    versioned = [policies]
    if packs.is_relative_to(root):
        versioned.append(packs)
    else:
        click.echo(
            f"trails: note: --packs {packs} is outside the repository {root}; "
            "both sides use its current contents",
            err=True,
        )
    builds = []
    with tempfile.TemporaryDirectory(prefix="trails-diff-") as tmp:
        for i, ref in enumerate((old_ref, new_ref)):
            if ref is None:
                builds.append(_compile(policies, packs, root, schema, WORKING_TREE))
                continue
            dest = Path(tmp) / str(i)
            export_revision(root, ref, versioned, dest)
            at_ref = dest / packs.relative_to(root) if packs.is_relative_to(root) else packs
            builds.append(_compile(dest / policies.relative_to(root), at_ref, dest, schema, ref))
    diffs = diff_builds(builds[0], builds[1])
    if as_json:
        emit_json(
            {
                "old": old_ref,
                "new": new_ref or WORKING_TREE,
                "changed": bool(diffs),
                "namespaces": [d.as_dict() for d in diffs],
            }
        )
    else:
        click.echo(render_text(diffs), nl=False)
    if exit_code and diffs:
        ctx.exit(1)
