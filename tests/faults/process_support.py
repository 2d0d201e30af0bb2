"""What the process fault cases share: one tiny generated lake (raw, then ingested, then built, each made once per
process and copied per case), the real `supplychain` command run as a child process, and kill -9 at a chosen point.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.faults.fault_case import has_raw_traceback
from tests.faults.warehouse_fingerprint import mart_fingerprint, processed_fingerprint, processed_rows

# Three months, ten products, five warehouses: every source and mart has rows; ingest about a minute, build 30 s.
TINY_LAKE = ("--sales-rows", "2000", "--start", "2024-01-01", "--end", "2024-03-31", "--products", "10",
             "--warehouses", "5", "--event-days", "2", "--seed", "7")  # fmt: skip
SECRET_VARIABLES = ("SUPPLYCHAIN_PG_PASSWORD", "SUPPLYCHAIN_REDSHIFT_PASSWORD")


def environment(folder: Path, **extra: str) -> dict[str, str]:
    """A child's environment: its own warehouse file, dbt target and logs, and run records, all inside `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPLYCHAIN_", "DBT_TARGET", "DBT_LOG"))}
    env.update(
        SUPPLYCHAIN_DUCKDB_PATH=str(folder / "warehouse.duckdb"),
        SUPPLYCHAIN_RUNS_DIR=str(folder / "runs"),
        SUPPLYCHAIN_SPARK_MASTER="local[2]",
        SUPPLYCHAIN_CONNECT_RETRIES="1",
        SUPPLYCHAIN_STEP_RETRY_DELAYS="0.5,0.5",  # `run` still retries twice, without the default 10 s of waits
        DBT_TARGET_PATH=str(folder / "target"),
        DBT_LOG_PATH=str(folder / "logs"),
        DBT_PROFILES_DIR=str(Path(__file__).resolve().parents[2] / "profiles"),
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    env.update(extra)
    return env


def command(lake: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "supplychain.cli", "--lake-root", str(lake), *args]


@dataclass
class Finished:
    returncode: int
    output: str  # stdout and stderr together, as the user saw them

    @property
    def traceback(self) -> bool:
        return has_raw_traceback(self.output)


def run_cli(lake: Path, folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600,
            prefix: tuple[str, ...] = ()) -> Finished:  # fmt: skip
    completed = subprocess.run(
        [*prefix, *command(lake, *args)], env=env or environment(folder), capture_output=True, text=True,
        timeout=timeout, cwd=folder,
    )  # fmt: skip
    return Finished(completed.returncode, completed.stdout + completed.stderr)


def kill_when(lake: Path, folder: Path, args: tuple[str, ...], ready: Callable[[str], bool],
              env: dict[str, str] | None = None, timeout: float = 300) -> Finished:  # fmt: skip
    """Starts `supplychain <args>`, and kill -9s it (its whole process group: Spark's JVM, dbt) as soon as
    `ready(output so far)` holds; returns what it printed. Fails if it finished before the point was reached."""
    log = folder / f"killed-{time.monotonic_ns()}.log"
    with open(log, "w") as sink:
        child = subprocess.Popen(command(lake, *args), env=env or environment(folder), stdout=sink,
                                 stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = log.read_text(errors="replace")
            if ready(output):
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                return Finished(-9, output)
            if child.poll() is not None:
                raise AssertionError(f"`{' '.join(args)}` ended ({child.returncode}) before the kill point:\n{output}")
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    raise AssertionError(f"`{' '.join(args)}` never reached the kill point in {timeout}s")


def without_dac_override() -> tuple[str, ...]:
    """Root ignores folder permissions; without CAP_DAC_OVERRIDE it obeys them like any user (for the tests of an
    unwritable folder). Empty for a non-root user."""
    if os.geteuid() != 0:
        return ()
    caps = "-dac_override,-dac_read_search"
    return ("setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--")


@functools.cache
def _cache() -> Path:
    """Per process; FAULT_LAKES_DIR keeps the tiny lakes between runs (while working on the cases)."""
    kept = os.environ.get("FAULT_LAKES_DIR")
    return Path(kept) if kept else Path(tempfile.mkdtemp(prefix="fault-lakes-"))


@functools.cache
def raw_lake() -> Path:
    """The generated raw zone, made once."""
    root = _cache() / "raw" / "lake"
    if not root.is_dir():
        root.parent.mkdir(parents=True, exist_ok=True)
        result = run_cli(root, root.parent, "generate", *TINY_LAKE, env=environment(root.parent))
        assert result.returncode == 0, result.output
    return root


@functools.cache
def ingested_fingerprint() -> dict[str, tuple[int, int]]:
    """What the uninterrupted ingestion published: {processed table: (rows, checksum)}."""
    return processed_fingerprint(built_lake()[0])


@functools.cache
def built_lake() -> tuple[Path, dict[str, int], dict[str, tuple[int, int]]]:
    """The lake ingested and built once, uninterrupted: (lake, rows per processed table, mart fingerprint)."""
    folder = _cache() / "built"
    lake = folder / "lake"
    if not (folder / "warehouse.duckdb").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copytree(raw_lake(), lake)
        for step in ("ingest", "build"):
            result = run_cli(lake, folder, step)
            assert result.returncode == 0, result.output
    return lake, processed_rows(lake), mart_fingerprint(folder / "warehouse.duckdb")


def copy_raw(folder: Path) -> Path:
    lake = folder / "lake"
    shutil.copytree(raw_lake(), lake)
    return lake


def copy_built(folder: Path) -> Path:
    """The ingested lake and its warehouse, copied into `folder`."""
    source, _, _ = built_lake()
    lake = folder / "lake"
    shutil.copytree(source, lake)
    shutil.copyfile(source.parent / "warehouse.duckdb", folder / "warehouse.duckdb")
    return lake


def rows_lost(lake: Path) -> int:
    """Rows the uninterrupted ingestion published that this lake lacks (or holds twice), over every table."""
    expected = built_lake()[1]
    found = processed_rows(lake)
    return sum(abs(found.get(table, 0) - rows) for table, rows in expected.items())


def processed_differ(lake: Path) -> list[str]:
    """Processed tables whose rows differ from what the uninterrupted ingestion published."""
    expected, found = ingested_fingerprint(), processed_fingerprint(lake)
    return sorted(t for t in expected.keys() | found.keys() if found.get(t) != expected.get(t))


def marts_differ(database: Path) -> list[str]:
    """Marts whose row count or checksum differ from the uninterrupted build's."""
    expected = built_lake()[2]
    found = mart_fingerprint(database) if database.exists() else {}
    return sorted(t for t in expected if found.get(t) != expected[t])


def secret_in(texts: list[str], secret: str) -> bool:
    words = [secret, *(w for w in secret.split() if len(w) >= 4)]
    return any(word in text for text in texts for word in words)


def files_text(*folders: Path) -> list[str]:
    """Every small text file under the folders (run records, dbt artifacts and logs)."""
    texts = []
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else []:
            if (
                path.is_file()
                and path.suffix in (".json", ".log", ".txt", ".sql", ".yml")
                and path.stat().st_size < 50e6
            ):
                texts.append(path.read_text(errors="replace"))
    return texts


def today() -> str:
    return dt.date.today().isoformat()
