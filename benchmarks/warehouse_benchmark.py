"""dbt on the embedded DuckDB target at the default sample and a larger one: load, parse and build times, and the
share of a build spent in dbt itself (start-up, parse, compile, materialization logic) versus in the database.

    .venv/bin/python benchmarks/warehouse_benchmark.py [--scales 1,10] [--workdir /tmp/bench] [--reuse]

Each scale generates and ingests a lake first (kept under --workdir; --reuse skips that when the processed zone
is already there). Then, each in a fresh process as a user runs it:
  * `supplychain load`                      processed Parquet -> DuckDB views (contract check included)
  * `dbt parse --no-partial-parse`          project parse alone
  * `dbt build` on an empty warehouse       full build with the profile's 2 threads (models, snapshots, tests)
  * `dbt build` again                       incremental run over unchanged input
  * `dbt build --threads 1`, empty          for attribution: with one thread, the database time is the sum of the
                                             nodes' execute phases, and the rest of the wall time is dbt's own
Ratios compare each larger scale with the 1x run measured in the same invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROWS = 100_000
DBT = str(Path(sys.executable).with_name("dbt"))


def timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    if completed.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return time.perf_counter() - began


def phase_seconds(run_results: Path) -> dict[str, float]:
    """Summed compile and execute phase durations over every node of a dbt run."""
    totals = {"compile": 0.0, "execute": 0.0}
    for result in json.loads(run_results.read_text())["results"]:
        for timing in result.get("timing", []):
            if timing["name"] in totals and timing.get("started_at") and timing.get("completed_at"):
                started = _parse(timing["started_at"])
                totals[timing["name"]] += _parse(timing["completed_at"]) - started
    return totals


def _parse(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def prepare_lake(scale: int, workdir: Path, reuse: bool, env: dict[str, str]) -> Path:
    lake = workdir / f"lake_{scale}x"
    if reuse and (lake / "processed" / "sales").exists():
        return lake
    cli = [sys.executable, "-m", "supplychain.cli", "--lake-root", str(lake)]
    timed([*cli, "generate", "--force", "--sales-rows", str(DEFAULT_ROWS * scale)], env)
    timed([*cli, "ingest", "--full-refresh"], env)
    return lake


def run_scale(scale: int, workdir: Path, reuse: bool) -> dict:
    base_env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
    }
    lake = prepare_lake(scale, workdir, reuse, base_env)
    database = workdir / f"warehouse_{scale}x.duckdb"
    target = workdir / f"target_{scale}x"
    env = {**base_env, "SUPPLYCHAIN_DUCKDB_PATH": str(database), "DBT_TARGET_PATH": str(target)}
    env["DBT_LOG_PATH"] = str(workdir / "logs")
    dbt = [DBT, "--no-partial-parse"]

    database.unlink(missing_ok=True)
    load = timed([sys.executable, "-m", "supplychain.cli", "--lake-root", str(lake), "load"], env)
    parse = timed([*dbt, "parse"], env)
    full = timed([*dbt, "build"], env)
    rebuild = timed([*dbt, "build"], env)
    database.unlink()
    timed([sys.executable, "-m", "supplychain.cli", "--lake-root", str(lake), "load"], env)
    single = timed([*dbt, "build", "--threads", "1"], env)
    phases = phase_seconds(target / "run_results.json")
    manifest = json.loads((lake / "_generator" / "manifest.json").read_text())
    return {
        "scale": scale,
        "sales_rows": manifest["rows"]["sales"],
        "inventory_rows": manifest["rows"]["inventory"],
        "load_seconds": round(load, 1),
        "parse_seconds": round(parse, 1),
        "build_seconds": round(full, 1),
        "rebuild_seconds": round(rebuild, 1),
        "single_thread_build_seconds": round(single, 1),
        "database_seconds": round(phases["execute"], 1),
        "compile_seconds": round(phases["compile"], 1),
        "dbt_share": round(1 - phases["execute"] / single, 3),
        "warehouse_mb": round(database.stat().st_size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10", help="comma-separated multiples of the default sample")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="keep lakes already generated and ingested in workdir")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="supplychain-dbt-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        print(f"--- {scale}x: about {DEFAULT_ROWS * scale:,} sales rows (lake in {workdir})", flush=True)
        result = run_scale(scale, workdir, args.reuse)
        results.append(result)
        print(
            f"load {result['load_seconds']} s | parse {result['parse_seconds']} s | build {result['build_seconds']} s"
            f" (2 threads) | rebuild {result['rebuild_seconds']} s | build on 1 thread "
            f"{result['single_thread_build_seconds']} s: database {result['database_seconds']} s, dbt itself "
            f"{result['dbt_share']:.0%} (compile phases {result['compile_seconds']} s) | "
            f"warehouse {result['warehouse_mb']} MB",
            flush=True,
        )
    base = results[0]
    for result in results[1:]:
        build_ratio = result["build_seconds"] / base["build_seconds"]
        database_ratio = result["database_seconds"] / base["database_seconds"]
        rows_ratio = result["sales_rows"] / base["sales_rows"]
        print(
            f"{result['scale']}x/{base['scale']}x: build time ratio {build_ratio:.2f}, "
            f"database time ratio {database_ratio:.2f}, for {rows_ratio:.1f}x the sales rows"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
