"""A minimal valid pack written to a temporary directory, for loader/include tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

PACK_YAML = """\
kind: pack
id: demo
framework: cis-demo
title: Demo benchmark
version: 1.0.0
platforms: [linux]
"""

CONTROLS_YAML = """\
kind: controls
controls:
  - id: demo-1
    title: ASLR is on
    refs: {cis-demo: '1', pci-dss-4.0.1: 2.2.6}
    profiles: [l1_server]
    severity: low
    rationale: Because.
    remediation: Set it.
    check: {sysctl: {kernel.randomize_va_space: '2'}}
    fixtures:
      - expect: pass
        host:
          files: {/etc/sysctl.d/60-aslr.conf: "kernel.randomize_va_space = 2\n"}
          runtime: {sysctl: {kernel.randomize_va_space: '2'}}
      - expect: fail
        host:
          files: {/etc/sysctl.d/60-aslr.conf: "kernel.randomize_va_space = 2\n"}
          runtime: {sysctl: {kernel.randomize_va_space: '1'}}
  - id: demo-2
    title: Audit the clock
    refs: {cis-demo: '2'}
    profiles: [l2_server, l1_workstation]
    severity: medium
    rationale: Because.
    remediation: Load the rules.
    audit_rules: [time-change]
    check: {audit_loaded: true}
    fixtures:
      - expect: pass
        host:
          agent:
            status: {audit_enabled: '1'}
            audit_rules: ['-w /etc/localtime -p wa -k time-change']
      - {expect: fail, host: {agent: {status: {audit_enabled: '1'}}}}
  - id: demo-3
    title: Someone reviews it
    refs: {cis-demo: '3'}
    profiles: [l1_server]
    severity: low
    rationale: Because.
    remediation: Review.
    manual: Needs a person.
"""

PackFactory = Callable[..., Path]


@pytest.fixture
def make_pack(tmp_path: Path) -> PackFactory:
    def make(pack_yaml: str = PACK_YAML, controls_yaml: str = CONTROLS_YAML) -> Path:
        pack_dir = tmp_path / "demo"
        (pack_dir / "controls").mkdir(parents=True, exist_ok=True)
        (pack_dir / "pack.yaml").write_text(pack_yaml)
        (pack_dir / "controls" / "a.yaml").write_text(controls_yaml)
        for arch in ("x86_64", "aarch64"):
            audit = tmp_path / "audit" / arch
            audit.mkdir(parents=True, exist_ok=True)
            (audit / "time-change.rules").write_text(
                "# clock\n\n-w /etc/localtime -p wa -k time-change\n"
            )
        return tmp_path

    return make
