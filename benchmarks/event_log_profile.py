"""Where a Spark run's task time went, per source and per stage, from its event log.

    SPARK_CONF_DIR=DIR supplychain --lake-root LAKE ingest   # DIR/spark-defaults.conf holds:
        spark.eventLog.enabled true
        spark.eventLog.dir file:///some/folder
        spark.eventLog.compress false
    .venv/bin/python benchmarks/event_log_profile.py /some/folder/eventlog_v2_local-*/events_1_* [--min-cpu 0.5]

`supplychain ingest` names each source's jobs after it (`ingest sales`); stages of other runs (the bare job of
benchmarks/pipeline_benchmark.py) are grouped under `-`. Task CPU seconds are the figure to compare across runs:
wall and task run time include waiting for a core, which on a shared machine is most of it.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path


def stage_figures(lines) -> list[dict]:
    """One row per stage: the source (job description), call site, tasks, CPU/run seconds, bytes moved."""
    source: dict[int, str] = {}
    names: dict[int, str] = {}
    figures: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in lines:
        event = json.loads(line)
        kind = event["Event"]
        if kind == "SparkListenerJobStart":
            description = (event.get("Properties") or {}).get("spark.job.description") or "-"
            for stage in event["Stage IDs"]:
                source.setdefault(stage, description.splitlines()[0])
        elif kind == "SparkListenerStageSubmitted":
            names[event["Stage Info"]["Stage ID"]] = event["Stage Info"]["Stage Name"]
        elif kind == "SparkListenerTaskEnd":
            metrics = event.get("Task Metrics") or {}
            shuffle_read = metrics.get("Shuffle Read Metrics", {})
            row = figures[event["Stage ID"]]
            row["tasks"] += 1
            row["cpu_s"] += metrics.get("Executor CPU Time", 0) / 1e9
            row["run_s"] += metrics.get("Executor Run Time", 0) / 1e3
            row["gc_s"] += metrics.get("JVM GC Time", 0) / 1e3
            row["read_mb"] += metrics.get("Input Metrics", {}).get("Bytes Read", 0) / 2**20
            row["written_mb"] += metrics.get("Output Metrics", {}).get("Bytes Written", 0) / 2**20
            row["shuffled_mb"] += metrics.get("Shuffle Write Metrics", {}).get("Shuffle Bytes Written", 0) / 2**20
            row["shuffle_read_mb"] += (
                shuffle_read.get("Remote Bytes Read", 0) + shuffle_read.get("Local Bytes Read", 0)
            ) / 2**20
    return [
        {"stage": stage, "source": source.get(stage, "-"), "name": names.get(stage, "?"), **figures[stage]}
        for stage in sorted(figures)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("event_log", type=Path)
    parser.add_argument("--min-cpu", type=float, default=0.5, help="leave out stages with less task CPU (seconds)")
    args = parser.parse_args()
    with args.event_log.open() as lines:
        stages = stage_figures(lines)
    columns = ("tasks", "cpu_s", "run_s", "gc_s", "read_mb", "shuffled_mb", "shuffle_read_mb", "written_mb")
    print(f"{'source':<22} {'stage':>5} {'call site':<44} " + " ".join(f"{c:>9}" for c in columns))
    for row in stages:
        if row["cpu_s"] >= args.min_cpu:
            cells = " ".join(f"{row[c]:9.1f}" if c != "tasks" else f"{row[c]:9d}" for c in columns)
            print(f"{row['source']:<22} {row['stage']:>5} {row['name'][:44]:<44} {cells}")
    totals: collections.Counter = collections.Counter()
    for row in stages:
        totals[row["source"]] += row["cpu_s"]
    print("task CPU seconds per source: " + ", ".join(f"{s} {v:.1f}" for s, v in totals.most_common()))
    print(f"all: {sum(totals.values()):.1f}")


if __name__ == "__main__":
    main()
