"""One lock per local lake: a second `ingest`, `load`, `build` or `run` on the same lake stops with a clear message
instead of two Spark jobs publishing over each other.

The lock is a file, `<lake>/_lake.lock`, created exclusively and holding the holder's pid, host, the pid's start
time and the command. A lock whose process is gone (a run killed with -9) is taken over: the stale file is renamed
away first, so of two runs that find it stale at once only one wins. On taking the lock, whatever a killed run left
half done in processed/ is repaired (`Lake.recover`). An s3:// lake is not locked here: on AWS the Step Functions
execution is the only writer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from foundation.lake import Lake

log = logging.getLogger(__name__)
LOCK_NAME = "_lake.lock"
_held: dict[str, int] = {}  # lock file -> nesting depth in this process (`run` holds it around its steps)


class LakeBusyError(RuntimeError):
    """Another live process holds the lake."""


class LakeNotWritableError(PermissionError):
    """The lake root or processed/ cannot be written by this user."""


def _process_start(pid: int) -> str | None:
    """The pid's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for the holder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(holder: dict) -> bool:
    pid = int(holder.get("pid", 0))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    started = holder.get("pid_started")
    return started is None or _process_start(pid) in (None, started)


def check_writable(lake: Lake) -> None:
    """Every folder a run writes (the root, processed/ and the folders under it) must be writable: one sentence
    now rather than a Spark stack trace after minutes of work."""
    root = Path(lake.root)
    folders = [root] + ([root / "processed"] if (root / "processed").is_dir() else [])
    if (root / "processed").is_dir():
        folders += [p for p in (root / "processed").rglob("*") if p.is_dir()]
    for folder in folders:
        if not os.access(folder, os.W_OK | os.X_OK):
            raise LakeNotWritableError(
                f"cannot write to {folder}: permission denied for this user; fix the folder's permissions "
                f"(or choose another --lake-root / SUPPLYCHAIN_LAKE_ROOT)"
            )


def _describe(holder: dict) -> str:
    return (
        f"`{holder.get('command', 'supplychain')}` (pid {holder.get('pid')} on {holder.get('host')}, "
        f"since {holder.get('started_at')})"
    )


@contextlib.contextmanager
def lake_lock(lake: Lake, command: str | None = None) -> Iterator[None]:
    """Holds the lake for the block; re-entrant within one process."""
    if not lake.is_local:
        yield
        return
    path = Path(lake.root) / LOCK_NAME
    key = str(path)
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    if Path(lake.root).exists():
        check_writable(lake)
    _acquire(path, command or " ".join(["supplychain", *sys.argv[1:2]]))
    _held[key] = 1
    try:
        restored = lake.recover()
        for folder in restored:
            log.warning("restored %s, which a killed run had moved aside mid-publish", folder)
        yield
    finally:
        _held.pop(key, None)
        with contextlib.suppress(FileNotFoundError):
            holder = json.loads(path.read_text())
            if holder.get("pid") == os.getpid():
                path.unlink()


def _acquire(path: Path, command: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    me = {
        "pid": os.getpid(),
        "pid_started": _process_start(os.getpid()),
        "host": socket.gethostname(),
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
    }
    for _ in range(3):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_holder(path)
            if holder is None:
                continue  # released between our attempt and the read
            if holder.get("host") != me["host"]:
                raise LakeBusyError(
                    f"the lake {path.parent} is locked by {_describe(holder)}, another machine: wait for that run, "
                    f"or delete {path} if it is certainly not running"
                ) from None
            if _alive(holder):
                raise LakeBusyError(
                    f"the lake {path.parent} is in use by {_describe(holder)}: wait for it to finish (or stop it) "
                    "and run again"
                ) from None
            log.warning("taking over the lake lock left by %s, which is no longer running", _describe(holder))
            with contextlib.suppress(FileNotFoundError):  # another taker may have moved it first
                stale = path.with_name(f"{LOCK_NAME}.stale-{uuid.uuid4().hex}")
                os.rename(path, stale)
                stale.unlink()
            continue
        except PermissionError:
            raise LakeNotWritableError(
                f"cannot create the lake lock {path}: permission denied; fix the lake folder's permissions "
                "(or choose another --lake-root / SUPPLYCHAIN_LAKE_ROOT)"
            ) from None
        with os.fdopen(descriptor, "w") as handle:
            json.dump(me, handle)
        return
    raise LakeBusyError(f"the lake {path.parent} lock {path} keeps changing hands: another run is starting; retry")


def _read_holder(path: Path) -> dict | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # Created but not yet written by its holder, or torn by a crash: treat as held by an unknown live process
        # unless it is old enough that the writer is surely gone.
        age = dt.datetime.now().timestamp() - path.stat().st_mtime
        if age > 10:
            return {"pid": 0, "host": socket.gethostname(), "command": "unknown"}
        return {"pid": os.getpid(), "host": socket.gethostname(), "command": "a starting run", "started_at": "now"}
