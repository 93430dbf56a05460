"""Benchmark (issue 14): `trails report` at fleet scale, per engine, against DuckDB's floor.

Fleets of HOSTS x 150 controls x 1 day from ``trails simulate`` (cached under --data and
reused), and for each size, in the same run:

* the floor: DuckDB ``SELECT count(*) FROM read_ndjson_objects([...])``, the cheapest
  scan DuckDB offers that reads every byte *and* parses every line (it splits the lines
  and validates each as JSON with yyjson, keeping nothing); for reference also
  ``sum(strlen(content)) FROM read_text(...)`` (the bytes alone, no line splitting or
  parsing) and ``count(*) FROM read_json(...)`` (the floor of issue 5, which also infers
  a schema and parses into columns). Each floor is its own process, like the report.
* DuckDB's least report (``bench/least_report.py``; when ``--formats`` has json and csv,
  unless ``--no-least``): plain DuckDB SQL writing the same two large outputs (one sorted
  row per host and control, as CSV and JSON lines) and nothing else, what a user would
  run instead of trails. Any report on DuckDB's JSON reader pays at least this; the
  verdicts give each engine's time as a multiple of it, and how it grows.
* ``trails report --format json,csv`` with each engine (``--engine duckdb``, ``--engine
  spark``); when ``trails report --help`` has no ``--engine``, plain ``trails report``,
  labelled "current";
* the peak RSS of each run, the output sizes, and for the largest size the PDF
  (``--format pdf``) timed separately.

How memory is measured: every run (floors included) happens under a small wrapper
process (``WRAPPER`` below) that spawns the command in its own session, makes itself a
child subreaper (``PR_SET_CHILD_SUBREAPER``) so that a descendant orphaned by its parent
(a JVM that outlives the Python driver) is still reaped by the wrapper, reaps every
descendant, then reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the largest RSS any
single descendant process reached (Python, or the JVM Spark starts). Because the Python
driver and a JVM are alive at the same time, the wrapper also samples the RSS of the
whole process tree from /proc every 0.2 s and reports its largest sum ("tree"). If that
sum passes --max-rss-gib the run is killed and recorded as such.

Targets from issue 14: the DuckDB engine's RSS <= 2 GiB flat at every size; time <= 5x
the floor at 10,000 hosts; time growing no faster than the logs; the PDF of 100,000 hosts
within 2 minutes.

    .venv/bin/python bench/bench_scale.py            # quick: 200 and 1,000 hosts
    .venv/bin/python bench/bench_scale.py --full     # 2,500 / 10,000 / 40,000 / 100,000
    .venv/bin/python bench/bench_scale.py --sizes 2500,10000 --engines duckdb \\
        --formats json,csv --data /work/bench-data [--regenerate] [--no-pdf]

Fleets are written by ``trails simulate --seed 1 --until 2026-11-23T12:00:00Z`` with one
log file per 2,500 hosts (at least 4), into DATA/fleet-<hosts>h-<controls>c-<days>d/,
which is reused when its fleet.json says it is complete (about 100 MB of logs per 1,000
hosts: 100,000 hosts is 10 GB). Default DATA: $TRAILS_BENCH_DATA, else /work/bench-data
when /work is writable, else $TMPDIR/trails-bench-data. The subprocesses run with their
working directory outside the repository, so ``PYTHONPATH`` decides which ``trails`` is
measured (the script prints it).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

UNTIL = "2026-11-23T12:00:00Z"
SEED = 1
QUICK_SIZES = (200, 1_000)
FULL_SIZES = (2_500, 10_000, 40_000, 100_000)
HOSTS_PER_FILE = 2_500
GIB = 2**30
TARGET_RSS_GIB = 2.0
TARGET_RATIO = 5.0
TARGET_RATIO_HOSTS = 10_000
TARGET_PDF_S = 120.0
TARGET_PDF_HOSTS = 100_000

# Run as ``python -c WRAPPER '<json spec>'``; prints one JSON line with the measurements.
WRAPPER = r"""
import ctypes, json, os, resource, signal, sys, threading, time
spec = json.loads(sys.argv[1])
try:  # orphaned descendants (a JVM) are re-parented to us, so we reap and measure them
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except (OSError, AttributeError):
    pass
page = os.sysconf("SC_PAGE_SIZE")
me = os.getpid()

def tree_rss():
    parent, rss = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parent[int(name)] = int(fields[1])
        rss[int(name)] = int(fields[21]) * page
    total = 0
    for pid in rss:
        p, seen = pid, 0
        while p in parent and p != me and seen < 64:
            p, seen = parent[p], seen + 1
        if p == me and pid != me:
            total += rss[pid]
    return total

out = os.open(spec["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
err = os.open(spec["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
start = time.perf_counter()
pid = os.posix_spawnp(
    spec["argv"][0], spec["argv"], dict(os.environ, **spec["env"]),
    file_actions=[(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)],
    setsid=True,
)
peak_tree, killed, done = 0, None, threading.Event()
limit, deadline = spec["max_rss"], start + spec["timeout"]

def sample():  # a thread, so that the main one waits for the exit to the microsecond
    global peak_tree, killed
    while not done.wait(0.2):
        peak_tree = max(peak_tree, tree_rss())
        if killed is None and (peak_tree > limit or time.perf_counter() > deadline):
            killed = "rss" if peak_tree > limit else "timeout"
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
_, status = os.waitpid(pid, 0)
wall = time.perf_counter() - start
done.set()
sampler.join()
grace = time.perf_counter() + 60
while True:  # reap every descendant, orphans included
    try:
        got, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if not got:
        if time.perf_counter() > grace + 30:
            break
        if time.perf_counter() > grace:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        peak_tree = max(peak_tree, tree_rss())
        time.sleep(0.1)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall": wall, "rc": os.waitstatus_to_exitcode(status), "killed": killed,
    "maxrss": usage.ru_maxrss * 1024, "tree": max(peak_tree, usage.ru_maxrss * 1024),
    "cpu": usage.ru_utime + usage.ru_stime,
}))
"""

FLOOR = r"""
import sys, duckdb
files = sys.argv[2:]
print(duckdb.connect().execute(sys.argv[1], {"f": files}).fetchone()[0])
"""
LEAST = "duckdb SQL: least report"
LEAST_SCRIPT = Path(__file__).with_name("least_report.py")
FLOORS = {
    "read_ndjson_objects": "SELECT count(*) FROM read_ndjson_objects($f)",
    "read_text": "SELECT sum(strlen(content)) FROM read_text($f)",
    "read_json": "SELECT count(*) FROM read_json($f)",
}


@dataclass
class Run:
    hosts: int
    what: str  # "floor: ...", LEAST, engine name, or "pdf (<engine>)"
    wall: float | None
    rc: int
    killed: str | None
    maxrss: int
    tree: int
    cpu: float
    outputs: dict[str, int] = field(default_factory=dict)
    load: str = ""
    note: str = ""


@dataclass
class Fleet:
    hosts: int
    path: Path
    files: list[str]
    bytes: int
    lines: int
    seconds: float  # generation time (when it was generated)
    generated_now: bool


def default_data() -> Path:
    if env := os.environ.get("TRAILS_BENCH_DATA"):
        return Path(env)
    work = Path("/work")
    if work.is_dir() and os.access(work, os.W_OK):
        return work / "bench-data"
    return Path(tempfile.gettempdir()) / "trails-bench-data"


def trails_argv() -> list[str]:
    return [sys.executable, "-m", "trails"]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def simulate_digest() -> str:
    """Which generator wrote a fleet: the SHA-256 of the simulate module measured."""
    probe = "import trails.report.simulate as s; print(s.__file__)"
    path = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd="/"
    ).stdout.strip()
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fleet(
    data: Path, hosts: int, controls: int, days: int, *, regenerate: bool, digest: str
) -> Fleet:
    path = data / f"fleet-{hosts}h-{controls}c-{days}d"
    meta = path / "fleet.json"
    if meta.is_file() and not regenerate:
        info = json.loads(meta.read_text())
        if info.get("simulate_sha256") != digest:
            print(f"  note: {path.name} was written by another simulate.py (--regenerate)")
        return Fleet(
            hosts, path, info["files"], info["bytes"], info["lines"], info["seconds"], False
        )
    partial = data / f".{path.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    partial.mkdir(parents=True)
    shards = max(4, -(-hosts // HOSTS_PER_FILE))
    argv = [
        *trails_argv(),
        "simulate",
        *("--hosts", str(hosts), "--controls", str(controls), "--days", str(days)),
        *("--seed", str(SEED), "--until", UNTIL, "--shards", str(shards)),
        *("--out", str(partial), "--json"),
    ]
    start = time.perf_counter()
    done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=data)
    seconds = time.perf_counter() - start
    summary = json.loads(done.stdout)
    info = {
        "hosts": hosts,
        "controls": controls,
        "days": days,
        "seed": SEED,
        "until": UNTIL,
        "files": sorted(Path(f).name for f in summary["files"]),
        "bytes": summary["bytes"],
        "lines": summary["lines"],
        "seconds": round(seconds, 2),
        "simulate_sha256": digest,
    }
    (partial / "fleet.json").write_text(json.dumps(info, indent=2) + "\n")
    partial.rename(path)
    return Fleet(hosts, path, info["files"], info["bytes"], info["lines"], seconds, True)


def measure(
    argv: list[str], work: Path, *, max_rss: int, timeout: float, env: dict[str, str]
) -> dict[str, object]:
    """Run ``argv`` under the wrapper (cwd ``work``); wall time, exit, peak RSS, CPU."""
    spec = {
        "argv": argv,
        "stdout": str(work / "stdout.txt"),
        "stderr": str(work / "stderr.txt"),
        "max_rss": max_rss,
        "timeout": timeout,
        "env": env,
    }
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, json.dumps(spec)],
        check=True,
        capture_output=True,
        text=True,
        cwd=work,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def engine_support() -> bool:
    helptext = subprocess.run(
        [*trails_argv(), "report", "--help"], capture_output=True, text=True, cwd="/", check=False
    ).stdout
    return "--engine" in helptext


def run_one(
    fl: Fleet,
    what: str,
    argv: list[str],
    scratch: Path,
    args: argparse.Namespace,
    *,
    outputs: Path | None = None,
) -> Run:
    work = scratch / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    before = load()
    got = measure(
        argv,
        work,
        max_rss=int(args.max_rss_gib * GIB),
        timeout=args.timeout,
        env={"PYTHONHASHSEED": "0"},
    )
    run = Run(
        hosts=fl.hosts,
        what=what,
        wall=got["wall"],  # type: ignore[arg-type]
        rc=got["rc"],  # type: ignore[arg-type]
        killed=got["killed"],  # type: ignore[arg-type]
        maxrss=got["maxrss"],  # type: ignore[arg-type]
        tree=got["tree"],  # type: ignore[arg-type]
        cpu=got["cpu"],  # type: ignore[arg-type]
        load=f"{before} -> {load()}",
    )
    if outputs is not None and outputs.is_dir():
        run.outputs = {p.name: p.stat().st_size for p in sorted(outputs.iterdir()) if p.is_file()}
    if run.rc != 0 or run.killed:
        tail = (work / "stderr.txt").read_text(errors="replace").strip().splitlines()[-3:]
        run.note = (f"killed ({run.killed}); " if run.killed else "") + " | ".join(tail)[:300]
    elif what.startswith("floor"):
        run.note = (work / "stdout.txt").read_text().strip()
    shutil.rmtree(work, ignore_errors=True)
    print(line(run), flush=True)
    return run


def fmt_s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def line(run: Run) -> str:
    size = sum(run.outputs.values())
    out = f"{size / 2**20:,.0f} MiB" if run.outputs else "-"
    status = "" if run.rc == 0 and not run.killed else f"  FAILED rc={run.rc} {run.note}"
    return (
        f"  {run.what:<30} {fmt_s(run.wall):>9}  cpu {run.cpu:7.1f} s  "
        f"rss {run.maxrss / GIB:5.2f} GiB (tree {run.tree / GIB:5.2f})  out {out:>10}"
        f"  load {run.load}{status}"
    )


def bench_size(fl: Fleet, engines: list[str], args: argparse.Namespace, *, pdf: bool) -> list[Run]:
    files = [str(fl.path / f) for f in fl.files]
    scratch = Path(args.data) / f"scratch-{fl.hosts}h"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    runs: list[Run] = []
    try:
        # warm the page cache so every scan below sees the same cache state
        subprocess.run(
            [sys.executable, "-c", FLOOR, FLOORS["read_text"], *files],
            check=True,
            capture_output=True,
            cwd=scratch,
        )
        for name in args.floors:
            argv = [sys.executable, "-c", FLOOR, FLOORS[name], *files]
            runs.append(run_one(fl, f"floor: {name}", argv, scratch, args))
        if args.least and {"json", "csv"} <= set(args.formats.split(",")):
            out = scratch / "out-least"
            out.mkdir()
            argv = [sys.executable, str(LEAST_SCRIPT), str(out), *files]
            runs.append(run_one(fl, LEAST, argv, scratch, args, outputs=out))
            shutil.rmtree(out)
        report = [*trails_argv(), "report", "--results", str(fl.path / "*.log*")]
        report += ["--until", UNTIL]
        for engine in engines:
            flag = [] if engine == "current" else ["--engine", engine]
            out = scratch / f"out-{engine}"
            argv = [*report, *flag, "--format", args.formats, "--out", str(out)]
            runs.append(run_one(fl, engine, argv, scratch, args, outputs=out))
            shutil.rmtree(out, ignore_errors=True)
        if pdf:
            for engine in engines[:1]:
                flag = [] if engine == "current" else ["--engine", engine]
                out = scratch / f"pdf-{engine}"
                argv = [*report, *flag, "--format", "pdf", "--out", str(out)]
                runs.append(run_one(fl, f"pdf ({engine})", argv, scratch, args, outputs=out))
                shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return runs


def table(fleets: dict[int, Fleet], runs: list[Run]) -> str:
    head = (
        "| hosts | logs | what | time | x floor | peak RSS (process / tree) | CPU "
        "| outputs | load (1/5/15 min) |\n|---|---|---|---|---|---|---|---|---|"
    )
    rows = [head]
    for hosts, fl in fleets.items():
        mine = [r for r in runs if r.hosts == hosts]
        floor = next((r.wall for r in mine if r.what.startswith("floor") and r.wall), None)
        for r in mine:
            ratio = f"{r.wall / floor:.1f}x" if r.wall and floor and r.rc == 0 else "-"
            outs = f"{sum(r.outputs.values()) / 2**20:,.0f} MiB" if r.outputs else "-"
            time_s = fmt_s(r.wall) if r.rc == 0 and not r.killed else f"failed ({r.note})"
            rows.append(
                f"| {hosts:,} | {fl.bytes / GIB:.2f} GiB, {fl.lines:,} lines | {r.what} "
                f"| {time_s} | {ratio} | {r.maxrss / GIB:.2f} / {r.tree / GIB:.2f} GiB "
                f"| {r.cpu:.1f} s | {outs} | {r.load} |"
            )
    return "\n".join(rows)


def passed(run: Run) -> bool:
    return run.rc == 0 and not run.killed and run.wall is not None


def verdicts(fleets: dict[int, Fleet], runs: list[Run], engines: list[str]) -> list[str]:
    out = []
    least = {r.hosts: r for r in runs if r.what == LEAST and passed(r)}
    for engine in [*engines, LEAST]:
        mine = {r.hosts: r for r in runs if r.what == engine}
        ok = [r for r in mine.values() if passed(r)]
        if engine != LEAST and (times := [r for r in ok if r.hosts in least]):
            out.append(
                f"{engine}: DuckDB's least report "
                + ", ".join(
                    f"x{(r.wall or 0) / (least[r.hosts].wall or 1):.1f} at {r.hosts:,} hosts"
                    for r in sorted(times, key=lambda r: r.hosts)
                )
            )
        if engine in ("duckdb", "current") and mine:
            worst = max(r.tree for r in mine.values()) / GIB
            met = all(r.tree <= TARGET_RSS_GIB * GIB and r.rc == 0 for r in mine.values())
            out.append(
                f"{engine}: peak RSS (tree) up to {worst:.2f} GiB "
                f"(target <= {TARGET_RSS_GIB:.0f} GiB at every size: {'met' if met else 'MISSED'})"
            )
        at = mine.get(TARGET_RATIO_HOSTS)
        floors = [r for r in runs if r.hosts == TARGET_RATIO_HOSTS and r.what.startswith("floor")]
        if at is not None and at.wall and floors and floors[0].wall and at.rc == 0:
            ratio = at.wall / floors[0].wall
            verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
            target = "" if engine == LEAST else f" (target <= {TARGET_RATIO:.0f}x: {verdict})"
            others = ", ".join(
                f"{at.wall / r.wall:.1f}x {r.what.removeprefix('floor: ')}"
                for r in floors[1:]
                if r.wall
            )
            out.append(
                f"{engine}: {ratio:.1f}x the floor ({floors[0].what.removeprefix('floor: ')}) "
                f"at {TARGET_RATIO_HOSTS:,} hosts{target}" + (f"; {others}" if others else "")
            )
        ok.sort(key=lambda r: r.hosts)
        for a, b in itertools.pairwise(ok):
            logs = fleets[b.hosts].bytes / fleets[a.hosts].bytes
            grew = (b.wall or 0) / (a.wall or 1)
            out.append(
                f"{engine}: {a.hosts:,} -> {b.hosts:,} hosts: logs x{logs:.2f}, time x{grew:.2f}"
                f" ({'no faster than the logs' if grew <= logs else 'FASTER than the logs'});"
                f" CPU x{b.cpu / (a.cpu or 1):.2f}"
            )
    for r in runs:
        if r.what.startswith("pdf") and r.hosts == TARGET_PDF_HOSTS:
            met = r.rc == 0 and r.wall is not None and r.wall <= TARGET_PDF_S
            out.append(
                f"{r.what} at {r.hosts:,} hosts: {fmt_s(r.wall)} "
                f"(target <= {TARGET_PDF_S:.0f} s: {'met' if met else 'MISSED'})"
            )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", help="comma-separated host counts [default: the quick sizes]")
    ap.add_argument("--full", action="store_true", help="2,500 / 10,000 / 40,000 / 100,000")
    ap.add_argument("--quick", action="store_true", help="200 / 1,000 hosts (the default)")
    ap.add_argument("--controls", type=int, default=150)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--data", type=Path, default=None, help="where fleets are cached")
    ap.add_argument("--regenerate", action="store_true", help="rewrite cached fleets")
    ap.add_argument("--formats", default="json,csv")
    ap.add_argument("--engines", help="comma-separated [default: duckdb,spark, or current]")
    ap.add_argument("--floors", default="read_ndjson_objects,read_text,read_json")
    ap.add_argument("--no-pdf", action="store_true", help="skip the PDF of the largest size")
    ap.add_argument(
        "--no-least", dest="least", action="store_false", help="skip DuckDB's least report"
    )
    ap.add_argument("--max-rss-gib", type=float, default=16.0, help="kill a run above this")
    ap.add_argument("--timeout", type=float, default=3600.0, help="kill a run after this")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--record", type=Path, help="also write the runs as JSON here")
    args = ap.parse_args()
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    else:
        sizes = list(FULL_SIZES if args.full else QUICK_SIZES)
    args.data = (args.data or default_data()).resolve()
    args.data.mkdir(parents=True, exist_ok=True)
    args.floors = [f for f in args.floors.split(",") if f]
    unknown = sorted(set(args.floors) - set(FLOORS))
    if unknown or not args.floors:
        ap.error(f"--floors: choose from {', '.join(FLOORS)}")
    supported = engine_support()
    if args.engines:
        engines = [e for e in args.engines.split(",") if e]
        if not supported and engines != ["current"]:
            print("note: `trails report` has no --engine yet; running it as 'current'")
            engines = ["current"]
    else:
        engines = ["duckdb", "spark"] if supported else ["current"]
    where = subprocess.run(
        [sys.executable, "-c", "import trails; print(trails.__file__)"],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
    ).stdout.strip()
    print(f"trails measured: {where}; engines {', '.join(engines)}; data {args.data}")
    print(f"machine: {os.cpu_count()} CPUs, load {load()}")
    digest = simulate_digest()
    fleets: dict[int, Fleet] = {}
    for hosts in sizes:
        fl = fleet(
            args.data, hosts, args.controls, args.days, regenerate=args.regenerate, digest=digest
        )
        fleets[hosts] = fl
        how = "generated" if fl.generated_now else "cached (generated"
        rate = fl.bytes / 2**20 / fl.seconds if fl.seconds else 0
        print(
            f"fleet {hosts:,} hosts: {fl.bytes / GIB:.2f} GiB, {fl.lines:,} lines, "
            f"{len(fl.files)} files; {how} in {fl.seconds:.1f} s, {rate:.0f} MiB/s"
            f"{'' if fl.generated_now else ')'}",
            flush=True,
        )
    if args.generate_only:
        return 0
    runs: list[Run] = []
    for hosts in sizes:
        print(f"== {hosts:,} hosts x {args.controls} controls x {args.days} day(s)", flush=True)
        pdf = not args.no_pdf and hosts == max(sizes)
        runs += bench_size(fleets[hosts], engines, args, pdf=pdf)
    print()
    print(table(fleets, runs))
    print()
    for text in verdicts(fleets, runs, engines):
        print(text)
    if args.record:
        args.record.write_text(
            json.dumps(
                {
                    "trails": where,
                    "engines": engines,
                    "fleets": {h: {**asdict(f), "path": str(f.path)} for h, f in fleets.items()},
                    "runs": [asdict(r) for r in runs],
                },
                indent=2,
            )
            + "\n"
        )
    failed = [r for r in runs if r.rc != 0 or r.killed]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
