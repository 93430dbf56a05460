"""``trails fetch``: the host agent (docs/design.md §6). Thin: options in, ``Agent`` out.

A host command: it runs from a timer on every host, so it parses its options with
argparse and never imports click (``trails.cli.main`` dispatches to ``run``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trails.agent.agent import Agent, rebase
from trails.agent.apply import AuditctlLoader, AuditLoader, AugenrulesLoader, CommandRunner
from trails.agent.config import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_STATE_DIR,
    AgentConfig,
    load_config,
)
from trails.agent.config_cache import ConfigCache
from trails.agent.http import HttpTransport
from trails.agent.kernel import NoKernel
from trails.agent.outcome import FetchResult
from trails.commands.common import emit_json, refusal
from trails.errors import ExitCode, TrailsError
from trails.verify.errors import InstalledRevokedError, ReleaseExpiredError


def make_agent(config: AgentConfig, root: Path | None) -> Agent:
    run = CommandRunner(config.command_timeout)
    loader: AuditLoader
    if config.audit_load == "none":
        loader = NoKernel()
    elif config.audit_load == "augenrules":
        loader = AugenrulesLoader(config.auditctl, config.augenrules, run)
    else:
        loader = AuditctlLoader(config.auditctl, run)
    transport = HttpTransport(
        connect_timeout=config.connect_timeout,
        total_timeout=config.total_timeout,
        retries=config.retries,
        redirect_origins=config.redirect_origins,
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trails fetch",
        description="Fetch this host's signed release, verify it, and install it atomically.",
        epilog=(
            "exit codes: 0 installed or unchanged, 3 a security check refused the release\n"
            "(the installed config is kept), 4 download or install failed (kept too),\n"
            "2 bad agent config, 6 the installed release was revoked (on_revoked acted),\n"
            "7 agent.yaml or the state directory is not root's or others can write it."
        ),
        # A fixed width: argparse builds a formatter for every add_argument, and without
        # a width each one imports shutil to ask the terminal (a cost on every timer run).
        formatter_class=lambda prog: argparse.RawDescriptionHelpFormatter(prog, width=80),
    )
    p.add_argument(
        "--config",
        type=Path,
        default=Path(DEFAULT_CONFIG_PATH),
        metavar="FILE",
        help="agent config (YAML; default: %(default)s)",
    )
    p.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="install under this sandbox root (every configured path is rebased); the "
        "kernel's audit rules are left alone (audit_load: none) unless --load-kernel-rules",
    )
    p.add_argument(
        "--load-kernel-rules",
        action="store_true",
        help="with --root: still load the sandbox's audit rules into the live kernel",
    )
    p.add_argument("--json", dest="as_json", action="store_true", help="print the outcome as JSON")
    p.add_argument(
        "--once", action="store_true", help="run one fetch and exit (the default; for timers)"
    )
    return p


def run(argv: list[str]) -> int:
    """``trails fetch`` (a host command: argparse, no click; see ``trails.cli``)."""
    args = parser().parse_args(argv)
    root = args.root.resolve() if args.root else None
    # The parsed agent.yaml is cached in the default state dir (see config_cache).
    config = load_config(args.config, ConfigCache(rebase(root, DEFAULT_STATE_DIR)))
    if root is not None and not args.load_kernel_rules:
        config = config._replace(audit_load="none")  # a sandbox never touches the kernel
    agent = make_agent(config, root)
    try:
        result = agent.run()
    except TrailsError as exc:
        # A freeze or a revoked installed release must not pass unnoticed.
        if isinstance(exc, ReleaseExpiredError | InstalledRevokedError):
            print(f"trails: WARNING: {exc}", file=sys.stderr)
        if args.as_json:
            emit_json(refusal(exc, config.namespace, outcome="refused"))
        raise
    for warning in result.warnings:
        print(f"trails: warning: {warning}", file=sys.stderr)
    if args.as_json:
        emit_json(result.to_dict())
    else:
        print(_describe(result))
    return ExitCode.OK
