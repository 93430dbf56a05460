"""Fixtures for the agent: a PKI, a real loopback mirror, a sandbox root, kernel cleanup."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.kernel import AUDITCTL, delete_kernel_rules, kernel_rules
from testkit.repo import OSQUERY_CONF, PKI, Repo, audit_rules
from testkit.server import Mirror, serve
from trails.agent.agent import Agent
from trails.agent.config import AgentConfig, load_config
from trails.commands.fetch import make_agent


@pytest.fixture(scope="session")
def test_pki() -> PKI:
    return PKI.create()


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve() as m:
        yield m


@pytest.fixture
def audit_key() -> Iterator[str]:
    key = f"trails-test-{uuid.uuid4().hex[:12]}"
    try:
        yield key
    finally:
        delete_kernel_rules(key)


@dataclass
class Host:
    root: Path
    config_path: Path
    repo: Repo
    key: str

    @property
    def config(self) -> AgentConfig:
        return load_config(self.config_path)

    def agent(self, **kw: object) -> Agent:
        agent = make_agent(self.config, self.root)
        for name, value in kw.items():
            setattr(agent, name, value)
        return agent

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def osquery_conf(self) -> Path:
        return self.path("/etc/osquery/osquery.conf")

    @property
    def rules_file(self) -> Path:
        return self.path("/etc/audit/rules.d/50-trails.rules")

    @property
    def state_file(self) -> Path:
        return self.path("/var/lib/trails/state.json")

    @property
    def status_db(self) -> Path:
        return self.path("/var/lib/trails/trails.db")

    def files(self, version: int = 1) -> dict[str, bytes]:
        conf = OSQUERY_CONF.replace(b"{}", b'{"v": {"query": "SELECT %d;"}}' % version)
        return {"osquery.conf": conf, "audit.rules": audit_rules(self.key)}

    def snapshot(self) -> dict[str, bytes | None]:
        """Everything an attack must leave alone: installed files and agent state."""
        snap: dict[str, bytes | None] = {}
        for p in (self.osquery_conf, self.rules_file, self.state_file):
            snap[str(p)] = p.read_bytes() if p.exists() else None
        snap["journal"] = b"" if self.path("/var/lib/trails/pending.json").exists() else None
        snap["kernel"] = "\n".join(kernel_rules(self.key)).encode()
        temps = sorted(str(p) for p in self.root.rglob(".trails-tmp-*"))
        snap["temps"] = "\n".join(temps).encode()
        return snap


def write_config(path: Path, base_url: str, **extra: object) -> None:
    lines = [
        f"base_url: {base_url}",
        "namespace: linux/web",
        "roots: /etc/trails/roots.pem",
        f"auditctl: {AUDITCTL}",
        "connect_timeout: 2",
        "total_timeout: 3",
        "retries: 0",
    ]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def host(tmp_path: Path, mirror: Mirror, test_pki: PKI, audit_key: str) -> Host:
    root = tmp_path / "root"
    (root / "etc/trails").mkdir(parents=True)
    (root / "etc/trails/roots.pem").write_bytes(test_pki.roots_pem())
    config_path = tmp_path / "agent.yaml"
    write_config(config_path, mirror.base_url)
    return Host(root, config_path, Repo(mirror, test_pki), audit_key)


@pytest.fixture
def installed(host: Host) -> Host:
    """A host that already runs release v100 (the "previous config" attacks must keep)."""
    host.repo.publish(100, host.files(100))
    result = host.agent().run()
    assert result.outcome == "installed"
    assert result.version == 100
    return host
