"""The options every command that reads the policy repository takes (build, lint, diff)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def policy_source_options(func: F) -> F:
    """``--policies``, ``--packs`` and ``--osquery-schema``, with one meaning everywhere."""
    for option in reversed(
        (
            click.option(
                "--policies",
                type=click.Path(path_type=Path, file_okay=False),
                default=Path("policies"),
                show_default=True,
                help="Policy repository directory (inside a git repository).",
            ),
            click.option(
                "--packs",
                "packs_dir",
                type=click.Path(path_type=Path, file_okay=False),
                help="Control packs directory [default: cis_pci_packs at the git root].",
            ),
            click.option(
                "--osquery-schema",
                type=click.Path(path_type=Path, dir_okay=False),
                help="osquery schema JSON (compact or official) instead of the shipped 5.23.1.",
            ),
        )
    ):
        func = option(func)
    return func
