"""Where a Spark run's task time went, per source and per stage, from its event log.

    SPARK_CONF_DIR=DIR supplychain --lake-root LAKE ingest   # DIR/spark-defaults.conf holds:
        spark.eventLog.enabled true
        spark.eventLog.dir file:///some/folder
        spark.eventLog.compress false
    .venv/bin/python benchmarks/event_log_profile.py /some/folder/eventlog_v2_local-*/events_1_* [--min-cpu 0.5]

`supplychain ingest` names each source's jobs after it (`ingest sales`); stages of other runs (the bare job of
benchmarks/pipeline_benchmark.py) are grouped under `-`. Task CPU seconds are the figure to compare across runs:
wall and task run time include waiting for a core, which on a shared machine is most of it.

`--occupancy` prints, instead, how many task slots were busy over the run's wall time (tasks' launch to finish),
per phase: the JVM's start (from `--started`, the process's unix start time, to the application's start), the
driver alone (no Spark job running: Python, file listing, header reads, renames, reports), and each set of
sources with a job running at once; then the run second by second (`--every` seconds a row) and the longest
single-task stages. `--slots` is the session's cores (local[*] on this machine: 2). With `--cpu` (a file of
`unix_time cpu_seconds` lines, the process tree's utime+stime sampled from /proc), each phase's CPU seconds too:
the driver's own work (planning, listing, Python) shows there where no task runs.
"""

from __future__ import annotations

import argparse
import collections
import itertools
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


def occupancy_events(lines) -> dict:
    """The run's timeline from its event log, in seconds since the epoch: the application's start and end, each
    job's span and source, each task's span and stage."""
    run = {"start": None, "end": None, "jobs": [], "tasks": [], "stage_tasks": collections.Counter()}
    open_jobs: dict[int, tuple[float, str]] = {}
    for line in lines:
        event = json.loads(line)
        kind = event["Event"]
        if kind == "SparkListenerApplicationStart":
            run["start"] = event["Timestamp"] / 1e3
        elif kind == "SparkListenerApplicationEnd":
            run["end"] = event["Timestamp"] / 1e3
        elif kind == "SparkListenerJobStart":
            description = (event.get("Properties") or {}).get("spark.job.description") or "-"
            open_jobs[event["Job ID"]] = (event["Submission Time"] / 1e3, description.splitlines()[0])
        elif kind == "SparkListenerJobEnd" and event["Job ID"] in open_jobs:
            began, source = open_jobs.pop(event["Job ID"])
            run["jobs"].append((began, event["Completion Time"] / 1e3, source))
        elif kind == "SparkListenerTaskEnd":
            info = event["Task Info"]
            run["tasks"].append((info["Launch Time"] / 1e3, info["Finish Time"] / 1e3, event["Stage ID"]))
            run["stage_tasks"][event["Stage ID"]] += 1
    return run


def occupancy(run: dict, slots: int, started: float | None = None, ended: float | None = None, tick: float = 0.1):
    """Per tick of wall time: busy slots (running tasks, at most `slots`) and the phase (see the module's doc)."""
    first = started if started is not None else run["start"]
    last = ended if ended is not None else max([run["end"] or 0] + [t[1] for t in run["tasks"]])
    ticks = int((last - first) / tick) + 1
    busy = [0.0] * ticks
    for began, finished, _ in run["tasks"]:
        for i in range(max(0, int((began - first) / tick)), min(ticks, int((finished - first) / tick) + 1)):
            lo, hi = first + i * tick, first + (i + 1) * tick
            busy[i] += max(0.0, min(hi, finished) - max(lo, began)) / tick
    active: list[set] = [set() for _ in range(ticks)]
    for began, finished, source in run["jobs"]:
        name = source.removeprefix("ingest ").split(":")[0].strip() or "-"
        for i in range(max(0, int((began - first) / tick)), min(ticks, int((finished - first) / tick) + 1)):
            active[i].add(name)
    phases = []
    for i in range(ticks):
        at = first + i * tick
        if run["start"] is not None and at < run["start"]:
            phases.append("JVM start (before the application)")
        elif not active[i]:
            phases.append("driver alone (no Spark job)")
        else:
            phases.append("+".join(sorted(active[i])))
    return [min(b, slots) for b in busy], phases


def process_cpu(samples, first: float, ticks: int, tick: float) -> list[float]:
    """CPU seconds the process tree used in each tick, from `unix_time cpu_seconds` samples (cumulative)."""
    points = sorted((float(t), float(c)) for t, c in (line.split() for line in samples if line.strip()))
    used = [0.0] * ticks
    for (t0, c0), (t1, c1) in itertools.pairwise(points):
        if t1 <= t0:
            continue
        rate = (c1 - c0) / (t1 - t0)  # cores in use between the two samples
        for i in range(max(0, int((t0 - first) / tick)), min(ticks, int((t1 - first) / tick) + 1)):
            lo, hi = first + i * tick, first + (i + 1) * tick
            used[i] += rate * max(0.0, min(hi, t1) - max(lo, t0))
    return used


def print_occupancy(run: dict, slots: int, started: float | None, ended: float | None, every: float,
                    cpu: list[str] | None = None) -> None:  # fmt: skip
    tick = 0.1
    busy, phases = occupancy(run, slots, started, ended, tick)
    first = started if started is not None else run["start"]
    used_cpu = process_cpu(cpu, first, len(busy), tick) if cpu is not None else [0.0] * len(busy)
    table: dict[str, list[float]] = {}
    for b, p, c in zip(busy, phases, used_cpu, strict=True):
        row = table.setdefault(p, [0.0, 0.0, 0.0])
        row[0] += tick
        row[1] += b * tick
        row[2] += c
    wall = len(busy) * tick
    cpu_header = f" {'process CPU s':>13}" if cpu is not None else ""
    print(f"{'phase':<58} {'wall s':>7} {'busy core-s':>12} {'idle core-s':>12}{cpu_header}")
    for phase, (seconds, used, process) in sorted(table.items(), key=lambda item: -(item[1][0] * slots - item[1][1])):
        cells = f" {process:13.1f}" if cpu is not None else ""
        print(f"{phase[:58]:<58} {seconds:7.1f} {used:12.1f} {seconds * slots - used:12.1f}{cells}")
    cells = f" {sum(used_cpu):13.1f}" if cpu is not None else ""
    print(f"{'all':<58} {wall:7.1f} {sum(busy) * tick:12.1f} {wall * slots - sum(busy) * tick:12.1f}{cells}")
    step = max(1, round(every / tick))
    print(f"\n{'from s':>6} {'busy slots':>10} {'process cores':>13}  phase(s)")
    for i in range(0, len(busy), step):
        window = busy[i : i + step]
        names = sorted(set(phases[i : i + step]), key=phases[i : i + step].index)
        cores = sum(used_cpu[i : i + step]) / (len(window) * tick)
        print(f"{i * tick:6.0f} {sum(window) / len(window):10.2f} {cores:13.2f}  {' | '.join(names)[:100]}")
    single = collections.defaultdict(float)
    for began, finished, stage in run["tasks"]:
        if run["stage_tasks"][stage] == 1:
            single[stage] += finished - began
    longest = sorted(single.items(), key=lambda item: -item[1])[:8]
    print("\nlongest single-task stages (stage: seconds): " + ", ".join(f"{s}: {v:.1f}" for s, v in longest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("event_log", type=Path)
    parser.add_argument("--min-cpu", type=float, default=0.5, help="leave out stages with less task CPU (seconds)")
    parser.add_argument("--occupancy", action="store_true", help="busy task slots over wall time, per phase")
    parser.add_argument("--slots", type=int, default=2, help="task slots (local[*]: the machine's cores)")
    parser.add_argument("--started", type=float, help="the process's unix start time (counts the JVM's start)")
    parser.add_argument("--seconds", type=float, help="the process's wall seconds (counts its end after Spark's)")
    parser.add_argument("--every", type=float, default=2.0, help="seconds per row of the timeline")
    parser.add_argument("--cpu", type=Path, help="samples of the process tree's CPU: lines `unix_time cpu_seconds`")
    args = parser.parse_args()
    if args.occupancy:
        with args.event_log.open() as lines:
            run = occupancy_events(lines)
        ended = args.started + args.seconds if args.started is not None and args.seconds is not None else None
        cpu = args.cpu.read_text().splitlines() if args.cpu else None
        print_occupancy(run, args.slots, args.started, ended, args.every, cpu)
        return
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
