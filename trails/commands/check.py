"""``trails check``: evaluate the packs' automated controls on this host or a root tree."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from trails.check.interface import ERROR, CheckResult, Evaluator
from trails.check.osqueryi import OsqueryiEvaluator
from trails.check.reference import ReferenceEvaluator
from trails.check.run import Selection, evaluate
from trails.commands.common import emit_json
from trails.errors import UsageError
from trails.packs import load_catalog
from trails.packs.model import Control, Pack

# trails' own packs without --packs (never ./cis_pci_packs: a directory planted where
# root runs the command would replace the checks): a link to the checkout's
# cis_pci_packs/, copied into the wheel
BUNDLED_PACKS = Path(__file__).resolve().parents[1] / "packs" / "bundled"
_SHOWN_EVIDENCE_ROWS = 3
_SHOWN_CHARS = 160


def _packs_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    if BUNDLED_PACKS.is_dir():
        return BUNDLED_PACKS
    raise UsageError("no control packs found: pass --packs DIR (a cis_pci_packs directory)")


def _evaluator(root: Path | None, osqueryi: Path | None) -> Evaluator:
    if osqueryi is not None:
        if root is not None:
            raise UsageError("--osqueryi reads this host; it cannot read --root DIR")
        return OsqueryiEvaluator(osqueryi)
    if root is None:
        found = shutil.which("osqueryi")
        if found:
            return OsqueryiEvaluator(Path(found))
        root = Path("/")
    if not root.is_dir():
        raise UsageError(f"--root {root}: not a directory")
    return ReferenceEvaluator.for_root(root)


def _line(result: CheckResult) -> str:
    text = f"{result.control_id} {result.status} {result.title}"
    if result.detail:
        text += f"\n    {result.detail[:_SHOWN_CHARS]}"
    if result.status == "fail":
        for row in result.evidence[:_SHOWN_EVIDENCE_ROWS]:
            shown = ", ".join(f"{k}={v}" for k, v in row.items())
            text += f"\n    {shown[:_SHOWN_CHARS]}"
        if len(result.evidence) > _SHOWN_EVIDENCE_ROWS:
            text += f"\n    ... {len(result.evidence) - _SHOWN_EVIDENCE_ROWS} more"
    return text


def _progress(items: Sequence[tuple[Pack, Control]]) -> Iterator[tuple[Pack, Control]]:
    with click.progressbar(items, label="checking controls", file=sys.stderr) as bar:
        yield from bar


@click.command("check")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Evaluate the files under DIR (read only); runtime tables are empty unless DIR is /.",
)
@click.option(
    "--packs",
    "packs_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Control packs directory [default: trails' own packs].",
)
@click.option("--pack", "pack_ids", multiple=True, help="Only this pack (repeatable).")
@click.option("--control", "control_ids", multiple=True, help="Only this control (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for scripts.")
@click.option(
    "--osqueryi",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Run the compiled queries in this osqueryi (default: osqueryi on PATH, unless --root).",
)
def check(
    *,
    root: Path | None,
    packs_dir: Path | None,
    pack_ids: tuple[str, ...],
    control_ids: tuple[str, ...],
    as_json: bool,
    osqueryi: Path | None,
) -> None:
    """Evaluate the automated controls of the packs on this host now.

    Without osquery, trails' reference collector builds osquery 5.23.1's tables from
    the root directory (default /). Prints CONTROL STATUS TITLE and bounded evidence;
    exits 0 when no control fails or errors, 1 otherwise.
    """
    packs = _packs_dir(packs_dir)
    catalog = load_catalog(packs)
    evaluator = _evaluator(root, osqueryi)
    try:
        results = evaluate(
            catalog,
            packs,
            Selection(pack_ids, control_ids),
            evaluator,
            progress=_progress if not as_json and sys.stderr.isatty() else iter,
        )
    finally:
        evaluator.close()
    if as_json:
        emit_json(
            {
                "results": [r.as_dict() for r in results],
                "collector": evaluator.describe(),
            }
        )
    else:
        for result in results:
            click.echo(_line(result))
        counts: dict[str, int] = {}
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        click.echo(f"{len(results)} control(s): {summary or 'none selected'}", err=True)
    if any(r.status in ("fail", ERROR) for r in results):
        sys.exit(1)
