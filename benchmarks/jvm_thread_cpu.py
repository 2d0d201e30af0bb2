"""Where a Spark driver JVM's CPU goes, by thread: tasks, the driver's planning, the JIT, the GC.

    .venv/bin/python benchmarks/jvm_thread_cpu.py [--every 0.5] -- COMMAND...
    # e.g. -- .venv/bin/python -m supplychain.cli --lake-root LAKE ingest

Runs COMMAND, finds the driver JVM among its descendants (PySpark's `spark-submit` child, not the launcher JVM
before it) and samples /proc/<jvm>/task/*/stat until the JVM exits, keeping each thread's last figure: a thread
that ends between two samples loses at most one interval. Prints CPU seconds per thread kind (names with their
numbers removed; the kernel keeps 15 characters): `Executor task` is the tasks (the event log's task CPU),
`Thread` py4j's threads that run the driver's calls (analysis, optimisation, physical planning, code generation
of each query Python submits), `C1 CompilerThre` the JIT, `GC Thread` the collector. Task CPU alone
(event_log_profile.py) misses the other three: about a third of an ingest's JVM CPU at 1M lines (BENCHMARKS.md,
session 38).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[parent].append(int(entry.name))
    found, queue = [], [root]
    while queue:
        for child in children[queue.pop()]:
            found.append(child)
            queue.append(child)
    return found


def driver_jvm(root: int) -> int | None:
    for pid in descendants(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"org.apache.spark.deploy.SparkSubmit" in command and b"org.apache.spark.launcher.Main" not in command:
            return pid
    return None


def thread_figures(jvm: int) -> dict[int, tuple[str, float]]:
    """Each live thread's name and CPU seconds (user + system)."""
    figures = {}
    for stat in Path(f"/proc/{jvm}/task").glob("*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        figures[int(stat.parent.name)] = (name, (int(rest[11]) + int(rest[12])) / TICKS)
    return figures


def kind(name: str) -> str:
    """A thread's kind: its name (the kernel keeps 15 characters) without the numbers that tell threads of one
    pool apart; every task thread is one kind, whatever the rest of its name."""
    if name.startswith("Executor task"):
        return "Executor task (the tasks)"
    return re.sub(r"[\s#-]*\d+$", "", name).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    began = time.perf_counter()
    child = subprocess.Popen(command)
    last: dict[int, tuple[str, float]] = {}
    jvm = None
    while child.poll() is None:
        jvm = jvm or driver_jvm(child.pid)
        if jvm is not None:
            last.update(thread_figures(jvm))
        time.sleep(args.every)
    wall = time.perf_counter() - began
    if not last:
        sys.exit(f"no driver JVM seen under the command (exit {child.returncode})")
    kinds = collections.Counter()
    for name, seconds in last.values():
        kinds[kind(name)] += seconds
    print(f"exit {child.returncode}, wall {wall:.1f} s, driver JVM CPU {sum(kinds.values()):.1f} s "
          f"(load {os.getloadavg()[0]:.1f})")  # fmt: skip
    for name, seconds in kinds.most_common():
        if seconds >= 0.1:
            print(f"{seconds:8.1f} s  {name}")


if __name__ == "__main__":
    main()
