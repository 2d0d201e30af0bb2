"""The whole pipeline at growing sizes: each step's wall time and peak memory, and the ratio from one size to the
next (issue 18, scale).

    .venv/bin/python benchmarks/scale_benchmark.py [--lines 1000000,10000000] [--workdir bench/scale] [--reuse]
                                                   [--engine local|spark] [--spark-memory 3g] [--json FILE]
                                                   [--resume]
    .venv/bin/python benchmarks/scale_benchmark.py --table 1m.json 10m.json     (one table from sizes run apart)

For each size (sales lines asked of `supplychain generate`; every other generator option is its default) a lake,
a DuckDB warehouse and a dbt target folder live under --workdir. Each step runs as the user runs it, as a fresh
child process of this script:

  generate   supplychain generate --force --sales-rows N   (skipped with --reuse when the lake holds that size)
  ingest     supplychain ingest --full-refresh              raw/ -> processed/ (Spark, local[*])
  load       supplychain load                               processed/ -> DuckDB views, contract check
  build      supplychain build                              load again, dbt build (models, snapshots, tests)
  forecast   supplychain forecast [--engine spark]          every series, backtest, intervals, forecast marts
  optimize   supplychain optimize                           policy, transfer plan (PuLP), plan marts

Peak memory is measured two ways and both are printed:
  * tree: the largest sum of resident memory (VmRSS) over the step's whole process tree (the CLI, its JVM, its
    Python workers), polled from /proc every 0.2 s; a spike shorter than that can be missed.
  * largest: the step's own `wait4` rusage `ru_maxrss`, which the kernel keeps exactly: the peak of the single
    largest process among the CLI and the children it waited for. PySpark does not wait for its JVM (it ends it
    at exit), so for Spark steps this is the Python driver alone and the tree figure is the one to read.

Ratios divide each size's seconds by the previous size's: with sizes ten times apart, a ratio at or under 10 means
the step scales linearly or better. Timings on a machine shared with other work are noisy; run sizes in one
invocation and compare ratios.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEPS = ("generate", "ingest", "load", "build", "forecast", "optimize")
PIPELINE_STEPS = STEPS[1:]  # generate makes the input; it is timed but not part of the pipeline


def tree_rss_bytes(root_pid: int) -> int:
    """Summed VmRSS of root_pid and all its descendants, read from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name may hold spaces or brackets: the fields after the last ')' are fixed.
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


class StepFailedError(RuntimeError):
    pass


def run_step(command: list[str], env: dict[str, str], log_path: Path) -> dict:
    """Runs one step as a child; returns seconds, the tree's polled peak RSS and the largest process's ru_maxrss."""
    peak = {"tree": 0}
    with log_path.open("w") as log:
        began = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                peak["tree"] = max(peak["tree"], tree_rss_bytes(child.pid))
                done.wait(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        # wait4 hands back this child's own rusage: its ru_maxrss covers the descendants it waited for.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - began
        done.set()
        poller.join()
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        tail = log_path.read_text()[-3000:]
        raise StepFailedError(f"{' '.join(command)} exited {child.returncode} (log {log_path}):\n{tail}")
    return {
        "seconds": round(seconds, 1),
        "peak_tree_mb": round(peak["tree"] / 2**20),
        "peak_largest_mb": round(usage.ru_maxrss / 1024),  # Linux reports kilobytes
    }


def step_commands(lake: Path, lines: int, engine: str, start: str | None) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "supplychain.cli", "--lake-root", str(lake)]
    forecast = [*cli, "forecast"] + (["--engine", "spark"] if engine == "spark" else [])
    return {
        "generate": [*cli, "generate", "--force", "--sales-rows", str(lines)] + (["--start", start] if start else []),
        "ingest": [*cli, "ingest", "--full-refresh"],
        "load": [*cli, "load"],
        "build": [*cli, "build"],
        "forecast": forecast,
        "optimize": [*cli, "optimize"],
    }


def generated_lines(lake: Path) -> int | None:
    manifest = lake / "_generator" / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["options"]["sales_rows"]


def step_rows(lake: Path, database: Path) -> dict[str, str]:
    """What each step processed, counted from its outputs after the run."""
    import duckdb

    manifest = json.loads((lake / "_generator" / "manifest.json").read_text())
    raw_records = sum(manifest["rows"].values())
    with duckdb.connect(str(database), read_only=True) as con:

        def count(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        located = {}
        for schema, name in con.execute("select table_schema, table_name from information_schema.tables").fetchall():
            located.setdefault(name, f"{schema}.{name}")
        fact, forecasts, policy = (located.get(n) for n in ("fct_sales", "demand_forecast", "inventory_policy"))
        return {
            "generate": f"{manifest['rows']['sales']:,} sales lines",
            "ingest": f"{raw_records:,} raw records",
            "load": f"{manifest['rows']['sales']:,} sales lines",
            "build": f"{count(f'select count(*) from {fact}'):,} fct_sales" if fact else "",
            "forecast": f"{count(f'select count(distinct series_id) from {forecasts}'):,} series" if forecasts else "",
            "optimize": f"{count(f'select count(*) from {policy}'):,} policy rows" if policy else "",
        }


def run_size(lines: int, workdir: Path, args: argparse.Namespace) -> dict:
    reuse, engine, spark_memory = args.reuse, args.engine, args.spark_memory
    lake = workdir / f"lake_{lines}"
    database = workdir / f"warehouse_{lines}.duckdb"
    logs = workdir / f"logs_{lines}"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "DBT_TARGET_PATH": str(workdir / f"target_{lines}"),
        "DBT_LOG_PATH": str(logs),
        "SUPPLYCHAIN_DUCKDB_PATH": str(database),
        "SUPPLYCHAIN_RUNS_DIR": str(workdir / "runs"),
        # Four engineers share 24 GiB: cap the driver so a 10M-line ingest cannot take the machine.
        "SUPPLYCHAIN_SPARK_MEMORY": spark_memory,
    }
    commands = step_commands(lake, lines, engine, args.start)
    progress = workdir / f"steps_{lines}.json"  # each measured step, so --resume can carry on after a failure
    steps: dict[str, dict] = json.loads(progress.read_text()) if args.resume and progress.exists() else {}
    if steps:
        print(f"  resuming after {', '.join(steps)} (measured before, from {progress})", flush=True)
    elif reuse and generated_lines(lake) == lines:
        manifest = json.loads((lake / "_generator" / "manifest.json").read_text())
        steps["generate"] = {"seconds": manifest["seconds"], "peak_tree_mb": None, "peak_largest_mb": None}
        print(f"  generate  reused ({manifest['seconds']} s when it ran)", flush=True)
    else:
        steps["generate"] = run_step(commands["generate"], env, logs / "generate.log")
        print(f"  generate  {steps['generate']}", flush=True)
    if "ingest" not in steps:
        database.unlink(missing_ok=True)  # every size builds its warehouse from empty
    for name in PIPELINE_STEPS:
        if name in steps:
            continue
        steps[name] = run_step(commands[name], env, logs / f"{name}.log")
        progress.write_text(json.dumps(steps))
        print(f"  {name:<9} {steps[name]}", flush=True)
    rows = step_rows(lake, database)
    for name, counted in rows.items():
        steps[name]["rows"] = counted
    steps["pipeline"] = {
        "seconds": round(sum(steps[n]["seconds"] for n in PIPELINE_STEPS), 1),
        "peak_tree_mb": max(steps[n]["peak_tree_mb"] for n in PIPELINE_STEPS),
        "peak_largest_mb": max(steps[n]["peak_largest_mb"] for n in PIPELINE_STEPS),
        "rows": "ingest .. optimize",
    }
    return {"lines": lines, "engine": engine, "steps": steps}


def table(results: list[dict]) -> str:
    """Markdown: one row per step, each size's seconds and peak memory, and each size's ratio to the one before."""
    head = ["step"]
    for result in results:
        head += [f"{result['lines']:,} s", f"{result['lines']:,} peak tree / largest MB"]
    for before, after in itertools.pairwise(results):
        head.append(f"ratio {after['lines'] // before['lines']}x")
    head.append(f"rows at {results[-1]['lines']:,}")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 2) + "---|"]
    for name in (*STEPS, "pipeline"):
        cells = [f"**{name}**" if name == "pipeline" else name]
        for result in results:
            step = result["steps"][name]
            cells.append(f"{step['seconds']:.1f}")
            memory = "-" if step["peak_tree_mb"] is None else f"{step['peak_tree_mb']:,} / {step['peak_largest_mb']:,}"
            cells.append(memory)
        for before, after in itertools.pairwise(results):
            cells.append(f"{after['steps'][name]['seconds'] / before['steps'][name]['seconds']:.2f}")
        cells.append(results[-1]["steps"][name].get("rows", ""))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def report(results: list[dict]) -> None:
    print(table(results))
    if len(results) > 1:
        from scale_cost import paper_cost  # beside this script

        print()
        print(paper_cost(results))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", default="100000,1000000", help="comma-separated sales lines per size")
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "scale")
    parser.add_argument("--reuse", action="store_true", help="keep a lake already generated at that size")
    parser.add_argument(
        "--resume", action="store_true", help="keep the steps a failed run measured and carry on from the next"
    )
    parser.add_argument("--engine", choices=("local", "spark"), default="local", help="forecast engine")
    parser.add_argument("--spark-memory", default="3g", help="Spark driver memory (default %(default)s)")
    parser.add_argument("--start", help="first day of generated data (default: the generator's; for a quick check)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--table", type=Path, nargs="+", metavar="JSON", help="print the table from saved --json files and exit"
    )
    args = parser.parse_args()
    if args.table:
        saved = [result for path in args.table for result in json.loads(path.read_text())]
        report(sorted(saved, key=lambda result: result["lines"]))
        return 0
    sizes = [int(part) for part in args.lines.split(",") if part.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for lines in sizes:
        print(f"--- {lines:,} sales lines (lake and warehouse under {args.workdir})", flush=True)
        try:
            results.append(run_size(lines, args.workdir, args))
        except StepFailedError as failure:
            print(failure, file=sys.stderr)
            return 1
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
