"""`make demo`: the whole trails flow on this machine, with nothing outside demo-out/.

build the example policies -> make a development PKI -> sign -> serve dist/ on 127.0.0.1
-> `trails fetch --root` into a sandbox (verify, install) -> show an attack being refused
-> simulate a 500-host fleet -> signed report (PDF, JSON, CSV, JUnit, OSCAL) -> verify it
-> show a report refused when a namespace disappears from the signed release index.

The agent writes audit rules into the sandbox; the demo does not load them into this
machine's kernel (its `augenrules` step is a recorder script). `make test` proves the
real kernel loading.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from testkit.policy_repo import fresh_policy_repo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "demo-out"
NAMESPACE = "linux/pci"


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def trails(
    *args: str, ok: tuple[int, ...] = (0,), quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "trails", *args]
    print("$ trails " + " ".join(args), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if not quiet:
        sys.stdout.write(proc.stdout)
    sys.stdout.write(proc.stderr)
    if proc.returncode not in ok:
        sys.exit(f"demo: `trails {args[0]}` exited {proc.returncode}")
    return proc


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def agent_config(base_url: str, pki: Path) -> Path:
    recorder = OUT / "augenrules-recorder.sh"
    recorder.write_text(
        "#!/bin/sh\n# demo stand-in for augenrules --load: record, do not touch the kernel\n"
        f'echo "augenrules --load (demo: not loaded into the kernel)" >> {OUT}/audit-load.log\n'
    )
    recorder.chmod(0o755)
    config = {
        "base_url": base_url,
        "namespace": NAMESPACE,
        "roots": "/etc/trails/roots.pem",  # paths are rebased under --root
        "crl_url": f"{base_url}/crl.pem",
        "require_crl": True,
        "state_dir": "/var/lib/trails",
        "status_db": "/var/lib/trails/trails.db",
        "osquery_conf": "/etc/osquery/osquery.conf",
        "audit_rules": "/etc/audit/rules.d/50-trails.rules",
        "audit_load": "augenrules",
        "augenrules": str(recorder),
        "connect_timeout": 5,
        "total_timeout": 30,
        "retries": 1,
    }
    path = OUT / "agent.yaml"
    path.write_text(json.dumps(config, indent=2) + "\n")  # JSON is YAML
    return path


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    dist, pki, sandbox = OUT / "dist", OUT / "pki", OUT / "sandbox"

    step("1. Build the example policies (policies/ + cis_pci_packs/) into dist/")
    trails("lint")
    # committed now, as the CI job that builds and signs would: a release older than the
    # signer certificate made in step 2 would be refused by every agent
    repo = fresh_policy_repo(OUT / "policy-repo")
    trails("build", "--policies", str(repo / "policies"), "--out", str(dist))

    step("2. Development PKI: offline root -> intermediate -> short-lived signers")
    trails("pki", "init-root", "--dir", str(pki), "--org", "Example Corp")
    trails("pki", "issue-intermediate", "--dir", str(pki), "--org", "Example Corp")
    trails("pki", "issue-signer", "ci", "--dir", str(pki), "--namespace", "linux/*", "--days", "60")
    trails("pki", "issue-signer", "auditor", "--dir", str(pki), "--purpose", "report")
    trails("pki", "crl", "--dir", str(pki))
    shutil.copy(pki / "crl.pem", dist / "crl.pem")

    step("3. Sign every namespace (DSSE envelope + x5c chain; CMS copy for openssl)")
    key, chain = pki / "signers/ci.key.pem", pki / "signers/ci.chain.pem"
    trails("sign", str(dist), "--key", str(key), "--chain", str(chain), "--expires", "30d", "--cms")

    step("4. Serve dist/ from a dumb HTTP server on 127.0.0.1; the agent fetches linux/pci")
    (sandbox / "etc/trails").mkdir(parents=True)
    shutil.copy(pki / "root.pem", sandbox / "etc/trails/roots.pem")  # the pinned trust anchor
    with serve(dist) as base_url:
        config = agent_config(base_url, pki)
        print(f"serving {dist} at {base_url}")
        trails("fetch", "--config", str(config), "--root", str(sandbox), "--json")
        step("5. Nothing changed: the next run costs one conditional GET (304)")
        trails("fetch", "--config", str(config), "--root", str(sandbox))

        step("6. Attack: the file server stretches the release's expiry; the host refuses it")
        installed = sandbox / "etc/osquery/osquery.conf"
        before = installed.read_bytes()
        envelope_path = dist / NAMESPACE / "release.dsse.json"
        genuine = envelope_path.read_bytes()
        envelope = json.loads(genuine)
        payload = json.loads(base64.b64decode(envelope["payload"]))
        payload["expires"] = "2099-01-01T00:00:00Z"
        envelope["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
        envelope_path.write_text(json.dumps(envelope))
        later = time.time() + 120  # Last-Modified has one-second resolution: make it newer
        os.utime(envelope_path, (later, later))
        trails("fetch", "--config", str(config), "--root", str(sandbox), ok=(3,))
        envelope_path.write_bytes(genuine)
        if installed.read_bytes() != before:
            sys.exit("demo: the refused release changed the installed config")
        print("refused with exit 3; the installed osquery.conf is byte-for-byte the verified one")

    step("7. Simulate 500 hosts for 3 days, as osquery's filesystem logger writes results")
    results = OUT / "results"
    trails("simulate", "--hosts", "500", "--days", "3", "--dist", str(dist), "--out", str(results))

    step("8. Signed evidence (PDF, JSON, CSV, JUnit, OSCAL) against the verified releases")
    report = OUT / "report"
    # as of now: the releases were signed minutes ago, after the newest simulated line
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    trails(
        "report",
        "--results", str(results / "*.log*"),
        "--until", now,
        "--packs", "cis_pci_packs",
        "--releases", str(dist),
        "--roots", str(pki / "root.pem"),  # every release is verified before it is evidence
        "--crl", str(pki / "crl.pem"),
        "--format", "pdf,json,csv,junit,oscal",
        "--out", str(report),
        "--sign-key", str(pki / "signers/auditor.key.pem"),
        "--sign-chain", str(pki / "signers/auditor.chain.pem"),
    )  # fmt: skip
    trails("verify-report", str(report / "report.dsse.json"), "--roots", str(pki / "root.pem"))

    step("9. Attack: the file server drops a namespace; the signed release index refuses it")
    hidden = OUT / "hidden-release"
    (dist / NAMESPACE).rename(hidden)  # every remaining release still verifies on its own
    refused = trails(
        "report",
        "--results", str(results / "*.log*"),
        "--until", now,
        "--releases", str(dist),
        "--roots", str(pki / "root.pem"),
        "--out", str(OUT / "refused-report"),
        ok=(3,),
    )  # fmt: skip
    hidden.rename(dist / NAMESPACE)
    if "refused by the index check" not in refused.stderr:
        sys.exit("demo: the report was refused, but not by the signed release index")
    print("refused with exit 3 before reading any result; nothing was written")

    step("10. Evaluate this machine now: the packs' checks through osquery 5.23.1's tables")
    checked = trails("check", "--packs", "cis_pci_packs", "--json", ok=(0, 1), quiet=True)
    verdicts: dict[str, int] = {}
    for result in json.loads(checked.stdout)["results"]:
        verdicts[result["status"]] = verdicts.get(result["status"], 0) + 1
    print("this host:", ", ".join(f"{n} {s}" for s, n in sorted(verdicts.items())))

    step("Done")
    print(f"release served and installed: {sandbox}/etc/osquery/osquery.conf")
    print(f"agent status database:        {sandbox}/var/lib/trails/trails.db")
    for path in sorted(report.glob("report.*")):
        print(f"report:                       {path}")


if __name__ == "__main__":
    main()
