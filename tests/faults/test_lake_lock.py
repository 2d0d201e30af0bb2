"""The lake lock with real processes: a live holder refuses a second run in one sentence; a holder killed -9 is
taken over; a torn lock file does not wedge the lake."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from foundation.lake import Lake
from foundation.lake_lock import LOCK_NAME, LakeBusyError, lake_lock

HOLD = textwrap.dedent(
    """
    import sys, time
    from foundation.lake import Lake
    from foundation.lake_lock import lake_lock
    with lake_lock(Lake(sys.argv[1]), "supplychain ingest"):
        print("held", flush=True)
        time.sleep(60)
    """
)


def hold_in_child(root):
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_run_is_refused_while_the_holder_lives(tmp_path):
    child = hold_in_child(tmp_path)
    try:
        busy = pytest.raises(LakeBusyError, match=rf"in use by `supplychain ingest` \(pid {child.pid} on ")
        with busy, lake_lock(Lake(str(tmp_path))):
            pass
    finally:
        child.kill()
        child.wait()


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path):
    child = hold_in_child(tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == child.pid  # left behind
    with lake_lock(Lake(str(tmp_path))):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_reused_pid_does_not_keep_a_stale_lock(tmp_path):
    """The pid is alive (it is ours) but started at another time than the holder recorded: stale."""
    (tmp_path / LOCK_NAME).write_text(
        json.dumps({"pid": os.getppid(), "pid_started": "1", "host": os.uname().nodename, "command": "old"})
    )
    with lake_lock(Lake(str(tmp_path))):
        pass


def test_an_empty_lock_file_older_than_a_few_seconds_is_taken_over(tmp_path):
    lock = tmp_path / LOCK_NAME
    lock.write_text("")
    old = time.time() - 60
    os.utime(lock, (old, old))
    with lake_lock(Lake(str(tmp_path))):
        pass


def test_the_lock_is_reentrant_within_a_run(tmp_path):
    lake = Lake(str(tmp_path))
    with lake_lock(lake), lake_lock(lake):
        assert (tmp_path / LOCK_NAME).exists()
    assert not (tmp_path / LOCK_NAME).exists()
