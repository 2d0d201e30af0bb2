"""The background Glue run stops with everything it started, so an interrupted session leaves no Spark JVM behind."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tests.glue.glue5 import SuiteRun

# A stand-in for the inner pytest: it starts a long-lived child (as pytest starts a Spark JVM) and names it.
PARENT_WITH_CHILD = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a killed child waiting to be reaped by init is gone for our purpose


def test_stopping_the_run_kills_the_processes_it_started(tmp_path):
    run = SuiteRun.launch([sys.executable, "-c", PARENT_WITH_CHILD], dict(os.environ), tmp_path)
    deadline = time.monotonic() + 30
    while not run.output("stdout").strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(run.output("stdout"))
    assert is_running(child)

    run.stop()

    deadline = time.monotonic() + 10
    while is_running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_running(child), "the inner run's child outlived stop()"
    assert run.process.returncode is not None


def test_stopping_a_finished_run_is_harmless(tmp_path):
    run = SuiteRun.launch([sys.executable, "-c", "print('done')"], dict(os.environ), tmp_path)
    assert run.finished().stdout == "done\n"
    run.stop()
