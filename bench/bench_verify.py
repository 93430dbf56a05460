"""Benchmark verification (issue 4, parts b and c).

(b) whole processes, same release: ``trails verify DIR`` vs ``openssl cms -verify`` on
    the same manifest vs a minimal Python script that imports cryptography and verifies
    one signature (the Python floor; target: trails within 1.5x of it).
(c) in-process ``ReleaseVerifier`` per release: chain + CRL + signature + manifest +
    SHA-256 of a 1 MiB config (target < 2 ms).

    .venv/bin/python bench/bench_verify.py [--runs 20]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from trails.formats.manifest import FileEntry, parse_manifest
from trails.sign.ca_dir import CaDir
from trails.sign.pki import name
from trails.sign.release import sign_dist
from trails.sign.signer import Signer
from trails.verify.core import ReleaseVerifier, TrustPolicy
from trails.verify.trust import load_crls, load_roots

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from testkit.dist import make_dist, openssl_cms_verify  # what the tests build and run

NS = "linux/pci"
TRAILS = "trails verify (chain+CRL+sig+1 MiB hash)"
PY_FLOOR = """
import base64, json, sys
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
env = json.load(open(sys.argv[1], "rb"))
leaf = x509.load_der_x509_certificate(base64.b64decode(env["x5c"][0]))
payload = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)
sig = base64.b64decode(env["signatures"][0]["sig"])
leaf.public_key().verify(sig, pae, ec.ECDSA(hashes.SHA256()))
"""


def build_release(work: Path) -> Path:
    ca = CaDir(work / "pki", None)
    now = datetime.now(UTC)
    ca.init_root(name("bench root"), "p256", 3650, now)
    ca.issue_intermediate(name("bench intermediate"), "p256", 1825, now)
    ca.issue_signer(
        "ci", name("ci"), "p256", days=90, now=now, namespaces=("linux/*",), purpose="config"
    )
    ca.write_crl(now, 7)
    dist = work / "dist"
    make_dist(dist, NS)
    # A 1 MiB osquery config, then rebuild the manifest over it.
    conf = dist / NS / "osquery.conf"
    conf.write_bytes(b'{"schedule": {}, "pad": "' + b"x" * (1024 * 1024 - 30) + b'"}\n')
    m = parse_manifest((dist / NS / "manifest.json").read_bytes(), require_expires=False)
    files = dict(m.files)
    data = conf.read_bytes()
    files["osquery.conf"] = FileEntry(hashlib.sha256(data).hexdigest(), len(data))
    (dist / NS / "manifest.json").write_bytes(m._replace(files=files).to_bytes())
    signer = Signer.load(work / "pki/signers/ci.key.pem", work / "pki/signers/ci.chain.pem")
    sign_dist(
        dist,
        signer,
        expires=now.replace(microsecond=0) + (signer.not_after - now) / 2,
        now=now,
        cms=True,
    )
    return dist / NS


def child_env(pycache: Path) -> dict[str, str]:
    """Run children as deployed: with cached bytecode (pip compiles on install). The
    dev environment may set PYTHONDONTWRITEBYTECODE, which would make every run
    recompile trails' own modules; a private pycache prefix keeps the tree clean."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def time_processes(
    cases: dict[str, list[str]], runs: int, env: dict[str, str]
) -> dict[str, tuple[float, float]]:
    """Median wall ms and median CPU ms (user+sys) of each command, after one warm-up
    round. The cases run in turn, round after round, so load on a shared machine hits
    the floors and trails alike (the ratios are the stable figures)."""
    walls: dict[str, list[float]] = {label: [] for label in cases}
    cpus: dict[str, list[float]] = {label: [] for label in cases}
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    try:
        for i in range(runs + 1):
            for label, cmd in cases.items():
                t0 = time.perf_counter()
                pid = os.posix_spawnp(cmd[0], cmd, env, file_actions=actions)  # PATH search
                _, status, usage = os.wait4(pid, 0)
                wall = (time.perf_counter() - t0) * 1000
                if os.waitstatus_to_exitcode(status) != 0:
                    raise SystemExit(f"{' '.join(cmd)} failed")
                if i:  # the first round only warms the bytecode and page caches
                    walls[label].append(wall)
                    cpus[label].append((usage.ru_utime + usage.ru_stime) * 1000)
    finally:
        os.close(devnull)
    return {
        label: (statistics.median(walls[label]), statistics.median(cpus[label])) for label in cases
    }


def peak_rss_mib(cmd: list[str], env: dict[str, str]) -> float | None:
    """Peak RSS via GNU time (Linux keeps a parent's high-water mark across fork+exec,
    so wait4 from this big process would over-report)."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(gnu_time):
        return None
    done = subprocess.run(
        [gnu_time, "-f", "%M", *cmd], capture_output=True, text=True, check=False, env=env
    )
    last = done.stderr.strip().splitlines()[-1:] or ["?"]
    return int(last[0]) / 1024 if last[0].isdigit() else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        release = build_release(work)
        roots, crl = work / "pki/root.pem", work / "pki/crl.pem"
        floor_script = work / "floor.py"
        floor_script.write_text(PY_FLOOR)
        trails_bin = str(Path(sys.executable).with_name("trails"))
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python floor (cryptography, 1 sig)": [
                sys.executable,
                str(floor_script),
                str(release / "release.dsse.json"),
            ],
            "python: import trails.cli + verify command": [
                sys.executable,
                "-c",
                "import trails.cli, trails.commands.verify, trails.verify.core",
            ],
            "openssl cms -verify": openssl_cms_verify(release, roots),
            TRAILS: [
                trails_bin,
                "verify",
                str(release),
                "--roots",
                str(roots),
                "--namespace",
                NS,
                "--crl",
                str(crl),
                "--require-crl",
            ],
        }
        print(f"(b) whole process, median of {args.runs} runs")
        env = child_env(work / "pycache")
        results = time_processes(cases, args.runs, env)
        floor_wall, floor_cpu = results["python floor (cryptography, 1 sig)"]
        for label, (wall, cpu) in results.items():
            rss = peak_rss_mib(cases[label], env)
            print(
                f"  {label:44s} wall {wall:6.1f} ms  cpu {cpu:6.1f} ms  "
                f"peak rss {f'{rss:5.1f} MiB' if rss else 'n/a'}  "
                f"vs floor: wall {wall / floor_wall:4.2f}x cpu {cpu / floor_cpu:4.2f}x"
            )
        t_wall, t_cpu = results[TRAILS]
        o_wall, o_cpu = results["openssl cms -verify"]
        print(
            f"  trails verify / python floor: wall {t_wall / floor_wall:.2f}x, "
            f"cpu {t_cpu / floor_cpu:.2f}x (target <= 1.5x)"
        )
        print(
            f"  trails verify / openssl cms:  wall {t_wall / o_wall:.1f}x, cpu {t_cpu / o_cpu:.1f}x"
        )

        # (c) in-process, per release.
        policy = TrustPolicy(
            roots=load_roots(roots.read_bytes()), crls=load_crls(crl.read_bytes()), require_crl=True
        )
        envelope = (release / "release.dsse.json").read_bytes()
        files = {n: (release / n).read_bytes() for n in ("osquery.conf", "audit.rules")}
        now = datetime.now(UTC)

        def once() -> None:
            v = ReleaseVerifier(policy, NS, None, now)
            rel = v.verify_envelope(envelope)
            for n, data in files.items():
                v.verify_file(rel, n, data)

        for _ in range(20):
            once()
        times = []
        for _ in range(300):
            t0 = time.perf_counter()
            once()
            times.append((time.perf_counter() - t0) * 1000)
        tracemalloc.start()
        once()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        med = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            "(c) in-process ReleaseVerifier per release (chain + CRL + signature + 1 MiB SHA-256)"
        )
        print(f"  median {med:.3f} ms  p95 {p95:.3f} ms  target < 2 ms: {med / 2:.2f}x of budget")
        print(f"  peak Python allocations during one verification: {peak / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
