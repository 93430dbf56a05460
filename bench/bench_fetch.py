"""Benchmark: `trails fetch` when nothing changed (HTTP 304), as a whole process.

Compared in the same run against the interpreter floor (`python -c pass`, the same
interpreter; the runs alternate so machine load hits both alike), and, for reference,
importing a conventional agent's stack and an install run (a changed release: verify,
download, install, load audit rules). Reports median wall and CPU (user+sys of the
child and its children such as `auditctl -l`, from wait4) and peak RSS per process.
Target: the 304 run within 3x the floor.

Usage: .venv/bin/python bench/bench_fetch.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testkit.kernel import AUDITCTL, delete_kernel_rules  # noqa: E402
from testkit.repo import PKI, Repo, audit_rules  # noqa: E402
from testkit.server import serve  # noqa: E402

# For reference, what a conventional Python agent would import before doing anything: a
# CLI framework, PyYAML, the stdlib HTTP client, subprocess, the status DB driver. The
# 304 path of trails fetch imports only sqlite3 and json of these (argparse instead of
# click, a cached agent.yaml, its own HTTP client, posix_spawn for auditctl).
STACK = "import click, yaml, http.client, sqlite3, subprocess, json"
TIME = shutil.which("time") if Path("/usr/bin/time").exists() else None


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int]:
    """One process: (wall s, cpu s, peak RSS KiB, exit status).

    CPU comes from wait4 on the child; peak RSS from the child's own VmHWM via GNU time
    (wait4's maxrss would include the memory of this forking parent).
    """
    timed = [TIME, "-f", "%M", *argv] if TIME else argv
    start = time.perf_counter()
    proc = subprocess.Popen(timed, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr is not None:
        proc.stderr.close()
    lines = err.strip().splitlines()
    rss = int(lines[-1]) if TIME and lines and lines[-1].isdigit() else usage.ru_maxrss
    return wall, usage.ru_utime + usage.ru_stime, rss, os.waitstatus_to_exitcode(status)


def interleaved(cases: list[list[str]], env: dict[str, str], runs: int) -> list[dict[str, float]]:
    """Run the cases in turn, ``runs`` rounds, so that load on a shared machine hits the
    floor and trails alike (the ratio is the stable figure); medians per case."""
    rows: list[list[tuple[float, float, int, int]]] = [[] for _ in cases]
    for _ in range(runs):
        for argv, out in zip(cases, rows, strict=True):
            out.append(measure(argv, env))
    stats = []
    for argv, out in zip(cases, rows, strict=True):
        bad = [r for r in out if r[3] != 0]
        if bad:
            raise SystemExit(f"{argv[:3]} exited {bad[0][3]}")
        stats.append(
            {
                "wall_ms": statistics.median(r[0] for r in out) * 1000,
                "cpu_ms": statistics.median(r[1] for r in out) * 1000,
                "rss_mib": max(r[2] for r in out) / 1024,
            }
        )
    return stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    # Hosts run trails from an installed package with compiled bytecode; keep the cache
    # out of the source tree.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "trails-bench-pycache"))
    trails_bin = shutil.which("trails", path=str(Path(sys.executable).parent))
    trails = [trails_bin] if trails_bin else [sys.executable, "-m", "trails"]
    key = f"trails-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp, serve() as mirror:
        root = Path(tmp) / "root"
        (root / "etc/trails").mkdir(parents=True)
        pki = PKI.create()
        (root / "etc/trails/roots.pem").write_bytes(pki.roots_pem())
        config = Path(tmp) / "agent.yaml"
        config.write_text(
            f"base_url: {mirror.base_url}\nnamespace: linux/web\n"
            f"roots: /etc/trails/roots.pem\nauditctl: {AUDITCTL}\n"
        )
        repo = Repo(mirror, pki)
        conf = b'{"schedule": {"q": {"query": "SELECT 1;", "interval": 60}}}\n' * 200
        fetch = [*trails, "fetch", "--config", str(config), "--root", str(root)]
        try:
            installs = []
            for version in range(1, 6):
                repo.publish(version, {"osquery.conf": conf, "audit.rules": audit_rules(key)})
                installs.append(measure(fetch, env))
            if any(r[3] != 0 for r in installs):
                raise SystemExit("install run failed")
            measure(fetch, env)  # warm: the first 304 run after an install
            floor, stack, unchanged = interleaved(
                [[sys.executable, "-c", "pass"], [sys.executable, "-c", STACK], fetch],
                env,
                args.runs,
            )
        finally:
            delete_kernel_rules(key)
    install = {
        "wall_ms": statistics.median(r[0] for r in installs) * 1000,
        "cpu_ms": statistics.median(r[1] for r in installs) * 1000,
        "rss_mib": max(r[2] for r in installs) / 1024,
    }
    print(
        f"runs: {args.runs} (304), {len(installs)} (install); interpreter {sys.version.split()[0]}"
    )
    print(f"{'process':34} {'wall ms':>8} {'cpu ms':>8} {'peak RSS MiB':>13}")
    for name, row in (
        ("python -c pass (floor)", floor),
        ("python -c 'import <stack>'", stack),
        ("trails fetch, unchanged (304)", unchanged),
        ("trails fetch, install (changed)", install),
    ):
        print(f"{name:34} {row['wall_ms']:8.1f} {row['cpu_ms']:8.1f} {row['rss_mib']:13.1f}")
    wall_ratio = unchanged["wall_ms"] / floor["wall_ms"]
    cpu_ratio = unchanged["cpu_ms"] / floor["cpu_ms"]
    print(f"304 / floor: wall {wall_ratio:.2f}x, cpu {cpu_ratio:.2f}x (target <= 3x)")
    print(f"<stack> = {STACK}")
    print(f"304 run / importing <stack>: cpu {unchanged['cpu_ms'] / stack['cpu_ms']:.2f}x")


if __name__ == "__main__":
    main()
