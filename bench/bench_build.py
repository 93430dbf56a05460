"""Benchmark: ``trails build`` on a large generated policy repository vs. the floor.

Repository: 200 namespaces (4 top-level, each with 49 children), 5,000 scheduled
queries and 3,000 audit rules in total. The floor is what a user could not go below
with any tool: loading and parsing the same YAML files with PyYAML in one process.
Measured: ``trails build`` end to end as a user runs it (a subprocess, interpreter start
included) and the in-process build (parse, merge, Jinja, SQL + audit validation, write).

    .venv/bin/python bench/bench_build.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import git
import yaml

from trails.build.release import build_release
from trails.osquery.schema import load_schema

TOPS, CHILDREN = 4, 49  # 4 + 4*49 = 200 namespaces
QUERIES, RULES = 5000, 3000
TABLES = [
    ("processes", "pid, name, path, cmdline", "WHERE name = 'sshd{i}'"),
    ("users", "uid, username, shell", "WHERE uid = {i}"),
    ("file", "path, mode, uid", "WHERE path = '/etc/app{i}.conf'"),
    ("listening_ports", "pid, port, address", "WHERE port = {i}"),
    ("deb_packages", "name, version", "WHERE name LIKE 'lib{i}%'"),
]


def namespaces() -> list[str]:
    out = []
    for t in range(TOPS):
        out.append(f"fleet{t}")
        out.extend(f"fleet{t}/svc{c:02d}" for c in range(CHILDREN))
    return out


def policy_text(ns: str, index: int, q_per: int, r_per: int) -> str:
    lines = []
    if "/" not in ns:
        lines += [
            "platform: linux",
            f"tags: {{org: Bench, owner: team{index}, owner_group: g{index}, project: p{index}}}",
            "variables: {hourly: 3600}",
        ]
    else:
        lines.append(f"tags: {{project: {ns.replace('/', '-')}}}")
    lines.append("osquery:\n  schedule:")
    for j in range(q_per):
        n = index * 100 + j
        table, cols, where = TABLES[n % len(TABLES)]
        lines += [
            f"    q_{index}_{j}:",
            f"      query: SELECT {cols} FROM {table} {where.format(i=n)};",  # noqa: S608
            '      interval: "{{ hourly }}"',
        ]
    lines.append("audit:\n  rules:")
    for j in range(r_per):
        n = index * 100 + j
        if j % 3:
            lines.append(f"    - -w /etc/app{n}.conf -p wa -k app{index}")
        else:
            lines.append(f"    - -a always,exit -F arch=b64 -S openat -F dir=/srv/d{n} -k d{index}")
            lines.append(f"    - -a always,exit -F arch=b32 -S openat -F dir=/srv/d{n} -k d{index}")
    return "\n".join(lines) + "\n"


def generate(root: Path) -> tuple[Path, int, int]:
    policies = root / "policies"
    nss = namespaces()
    q_per, extra_q = divmod(QUERIES, len(nss))
    r_total = 0
    for i, ns in enumerate(nss):
        # two lines per b64/b32 pair: 15 rule lines per namespace = 3,000
        text = policy_text(ns, i, q_per + (1 if i < extra_q else 0), 11)
        r_total += sum(1 for line in text.splitlines() if line.startswith("    - -"))
        path = policies / ns / "policy.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "cis_pci_packs").mkdir()
    repo = git.Repo.init(root)
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "bench")
        cw.set_value("user", "email", "bench@example.invalid")
    repo.git.add("-A")
    repo.index.commit("bench")
    return policies, q_per * len(nss) + extra_q, r_total


def floor(policies: Path, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> float:
    start = time.perf_counter()
    for path in sorted(policies.rglob("policy.yaml")):
        yaml.load(path.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    return time.perf_counter() - start


def in_process(policies: Path, out: Path) -> float:
    start = time.perf_counter()
    result = build_release(
        policies, out, schema=load_schema(), packs_dir=policies.parent / "cis_pci_packs"
    )
    elapsed = time.perf_counter() - start
    assert result.compiled.ok, [str(d) for d in result.compiled.diagnostics][:5]
    return elapsed


def end_to_end(policies: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trails", "build", "--policies", str(policies), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        policies, n_queries, n_rules = generate(Path(tmp))
        print(
            f"repository: {len(namespaces())} namespaces, {n_queries} queries, "
            f"{n_rules} audit rules"
        )
        floors = [floor(policies) for _ in range(3)]
        c_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        c_floor = statistics.median(floor(policies, c_loader) for _ in range(3))
        builds = [in_process(policies, Path(tmp) / f"dist{i}") for i in range(3)]
        e2e = [end_to_end(policies, Path(tmp) / f"e2e{i}") for i in range(2)]
        f, b, e = statistics.median(floors), statistics.median(builds), min(e2e)
        print(f"floor   PyYAML safe_load of every policy file : {f:7.3f} s")
        print(f"floor'  same with PyYAML's libyaml CSafeLoader : {c_floor:7.3f} s")
        print(
            f"trails  build, in process (validate + write)  : {b:7.3f} s  "
            f"({b / f:.2f}x floor, {b / c_floor:.2f}x floor')"
        )
        print(
            f"trails  build, end to end (CLI subprocess)    : {e:7.3f} s  "
            f"({e / f:.2f}x floor, {e / c_floor:.2f}x floor')"
        )
        print("target: build and full validation within 4x the floor")


if __name__ == "__main__":
    main()
