"""``trails fetch``: the host agent (DESIGN.md §6). Thin: options in, ``Agent`` out."""

from __future__ import annotations

from pathlib import Path

import click

from trails.commands.common import emit_json
from trails.errors import TrailsError
from trails.verify.agent import Agent
from trails.verify.apply import AuditctlLoader, AuditLoader, AugenrulesLoader, CommandRunner
from trails.verify.config import DEFAULT_CONFIG_PATH, AgentConfig, load_config
from trails.verify.errors import ReleaseExpiredError
from trails.verify.http import HttpTransport
from trails.verify.outcome import FetchResult, failure_name


def make_agent(config: AgentConfig, root: Path | None) -> Agent:
    run = CommandRunner(config.command_timeout)
    loader: AuditLoader
    if config.audit_load == "augenrules":
        loader = AugenrulesLoader(config.auditctl, config.augenrules, run)
    else:
        loader = AuditctlLoader(config.auditctl, run)
    transport = HttpTransport(
        connect_timeout=config.connect_timeout,
        total_timeout=config.total_timeout,
        retries=config.retries,
    )
    return Agent(config, transport=transport, loader=loader, root=root)


def _describe(result: FetchResult) -> str:
    what = {
        "installed": "verified and installed",
        "renewed": "verified a re-signed release (files unchanged)",
        "unchanged": "unchanged (304), still valid",
    }[result.outcome]
    lines = [
        f"{result.namespace} v{result.version} ({result.config_version}): {what}",
        f"  signer:  {result.signer_subject} sha256:{result.signer_fingerprint[:16]}",
        f"  expires: {result.expires}",
    ]
    lines += [
        f"  file:    {path} sha256:{digest[:16]}" for path, digest in result.installed.items()
    ]
    if result.outcome == "installed":
        lines.append(f"  audit rules loaded: {result.audit_rules_loaded}")
    return "\n".join(lines)


@click.command("fetch")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG_PATH,
    show_default=True,
    help="Agent config (YAML).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Install under this sandbox root (every configured path is rebased).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("--once", is_flag=True, help="Run one fetch and exit (the default; for timers).")
def fetch(config_path: Path, root: Path | None, as_json: bool, once: bool) -> None:
    """Fetch this host's signed release, verify it, and install it atomically.

    \b
    Exit codes: 0 installed or unchanged, 3 a security check refused the release
    (the installed config is kept), 4 download or install failed (kept too),
    2 bad agent config.
    """
    config = load_config(config_path)
    agent = make_agent(config, root.resolve() if root else None)
    try:
        result = agent.run()
    except TrailsError as exc:
        if isinstance(exc, ReleaseExpiredError):  # a freeze must not pass unnoticed
            click.secho(f"trails: WARNING: {exc}", fg="red", bold=True, err=True)
        if as_json:
            emit_json({"outcome": "refused", "check": failure_name(exc), "error": str(exc)})
        raise
    for warning in result.warnings:
        click.secho(f"trails: warning: {warning}", fg="yellow", err=True)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(_describe(result))
