"""The scale benchmark's measuring parts on real child processes: a peak held by a grandchild is seen, a failed
step stops the benchmark with its log, and the table's ratios divide each size by the one before."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import scale_benchmark

# A child that starts a grandchild holding about 120 MB for a second, and waits for it (as the CLI waits for Spark).
GRANDCHILD = "import time; block = bytearray(120 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(0.6)"
CHILD = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {GRANDCHILD!r}], check=True)"


def test_a_grandchilds_peak_counts_in_both_measures(tmp_path):
    measured = scale_benchmark.run_step([sys.executable, "-c", CHILD], dict(os.environ), tmp_path / "step.log")

    assert measured["peak_tree_mb"] >= 120
    assert measured["peak_largest_mb"] >= 120
    assert measured["seconds"] >= 0.6


def test_a_failed_step_raises_with_its_log(tmp_path):
    failing = [sys.executable, "-c", "import sys; print('the rule that broke'); sys.exit(3)"]

    with pytest.raises(scale_benchmark.StepFailedError, match=r"exited 3(.|\n)*the rule that broke"):
        scale_benchmark.run_step(failing, dict(os.environ), tmp_path / "step.log")


def test_the_table_divides_each_size_by_the_one_before():
    def size(lines: int, seconds: float) -> dict:
        step = {"seconds": seconds, "peak_tree_mb": 100, "peak_largest_mb": 80, "rows": f"{lines} rows"}
        return {"lines": lines, "steps": {name: dict(step) for name in (*scale_benchmark.STEPS, "pipeline")}}

    printed = scale_benchmark.table([size(1_000, 2.0), size(10_000, 5.0)])

    assert "ratio 10x" in printed
    ingest_row = next(line for line in printed.splitlines() if line.startswith("| ingest |"))
    assert ingest_row.split(" | ")[5] == "2.50"
    assert ingest_row.endswith("10000 rows |")
