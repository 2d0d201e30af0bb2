"""Generate and ingest the default sample and a larger one; print throughput, peak memory and the scaling ratio.

    .venv/bin/python benchmarks/ingest_benchmark.py [--scales 1,10] [--workdir /tmp/bench]

Each scale runs in fresh processes (generator, then one Spark session for all jobs), so the figures include JVM
start-up as a user would pay it. Beside `supplychain ingest` (every source in one pass), the bare PySpark job of
pipeline_benchmark.py (read, cast, dedupe, write; no rules, quarantine or reports) runs on the same drops, so the
ingestion's cost over plain Spark is a ratio measured side by side. The scaling ratio compares the larger scale's
ingestion time with the 1x run measured in the same invocation, on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from pipeline_benchmark import bare_spark  # the same bare job the pipeline benchmark measures

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROWS = 100_000

# Runs inside the child: ingest everything, report per-job figures and the JVM's peak resident memory after each.
INGEST_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from ingestion.batch import RunOptions
    from foundation.spark import spark_session
    from foundation.lake import Lake
    from ingestion.runner import ingest_entity
    from ingestion.sources import SOURCES

    def jvm_peak_mb(spark):
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024

    began = time.perf_counter()
    spark = spark_session("benchmark")
    session_seconds = time.perf_counter() - began
    results = []
    for entity in [s.entity for s in SOURCES]:
        start = time.perf_counter()
        report = ingest_entity(spark, Lake(sys.argv[1]), entity, RunOptions())
        seconds = time.perf_counter() - start
        results.append({"job": entity, "rows": report.rows_read, "seconds": round(seconds, 2),
                        "rows_per_s": round(report.rows_read / seconds), "jvm_peak_mb": round(jvm_peak_mb(spark))})
    total = time.perf_counter() - began
    print(json.dumps({"session_seconds": round(session_seconds, 2), "total_seconds": round(total, 2),
                      "python_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "jobs": results}))
    """
)


def run_scale(scale: int, workdir: Path) -> dict:
    lake = workdir / f"lake_{scale}x"
    shutil.rmtree(lake, ignore_errors=True)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    began = time.perf_counter()
    generate = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, sys; from supplychain.cli import main; code = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024); sys.exit(code)",
            "--lake-root",
            str(lake),
            "generate",
            "--sales-rows",
            str(DEFAULT_ROWS * scale),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
    )
    generate_seconds = time.perf_counter() - began
    # The user's command first: every source, parallel within each dependency wave, in a fresh JVM.
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "supplychain.cli", "--lake-root", str(lake), "ingest"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
    )
    command_seconds = time.perf_counter() - began
    bare_seconds = bare_spark(lake, workdir / f"bare_out_{scale}x", env)
    shutil.rmtree(workdir / f"bare_out_{scale}x")
    shutil.rmtree(lake / "processed")
    # Then one job at a time, for per-job throughput and memory.
    ingest = subprocess.run(
        [sys.executable, "-c", INGEST_CHILD, str(lake)], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    figures = json.loads(ingest.stdout.strip().splitlines()[-1])
    manifest = json.loads((lake / "_generator" / "manifest.json").read_text())
    shutil.rmtree(lake, ignore_errors=True)
    return {
        "scale": scale,
        "sales_rows": manifest["rows"]["sales"],
        "raw_records": sum(manifest["rows"].values()),
        "generate_seconds": round(generate_seconds, 1),
        "ingest_command_seconds": round(command_seconds, 1),
        "bare_spark_seconds": round(bare_seconds, 1),
        "generate_peak_mb": int(generate.stdout.strip().splitlines()[-1]),
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10", help="comma-separated multiples of the default sample")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="supplychain-bench-"))
    results = []
    for scale in scales:
        print(f"--- {scale}x: generating and ingesting about {DEFAULT_ROWS * scale:,} sales rows", flush=True)
        result = run_scale(scale, workdir)
        results.append(result)
        print(f"generate: {result['generate_seconds']} s, peak {result['generate_peak_mb']} MB (Python)")
        print(
            f"ingest:   `supplychain ingest`: {result['ingest_command_seconds']} s wall for "
            f"{result['raw_records']:,} raw records (every source in one pass, JVM start included)"
        )
        print(
            f"          bare PySpark job on the same drops: {result['bare_spark_seconds']} s; ingestion "
            f"{result['ingest_command_seconds'] / result['bare_spark_seconds']:.2f}x bare"
        )
        print(f"          one job at a time: {result['total_seconds']} s, session start {result['session_seconds']} s")
        print(f"{'job':<16}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'JVM peak MB':>14}")
        for job in result["jobs"]:
            print(
                f"{job['job']:<16}{job['rows']:>12,}{job['seconds']:>10}{job['rows_per_s']:>12,}{job['jvm_peak_mb']:>14}"
            )
    base = results[0]
    for result in results[1:]:
        ratio = result["ingest_command_seconds"] / base["ingest_command_seconds"]
        sales_ratio = result["sales_rows"] / base["sales_rows"]
        records_ratio = result["raw_records"] / base["raw_records"]
        label = f"{result['scale']}x/{base['scale']}x"
        print(
            f"{label} ingestion time ratio: {ratio:.2f} for {sales_ratio:.1f}x the sales rows "
            f"({records_ratio:.1f}x all raw records)"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
