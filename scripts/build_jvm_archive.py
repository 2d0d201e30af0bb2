"""Builds the local driver JVM's class-data archive (foundation/jvm_archive.py), once per venv: ingests a small
generated lake in a session whose JVM dumps the classes it loaded when it exits, waits for that exit, then publishes
the dump. `make setup` runs it; it returns at once when this venv already has a complete archive.

    .venv/bin/python scripts/build_jvm_archive.py [--force]

An archive is an optimisation: when the build fails it says so and leaves none (every session runs without one).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from foundation.jvm_archive import DUMP_VARIABLE, archive_dir, archive_path, is_complete, publish, stop_and_wait  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from foundation.spark import LOCAL_JAVA_OPTIONS  # noqa: E402

# Enough of every source (masters, facts, the order-event stream) to load the classes a real ingest loads.
SAMPLE = ["--sales-rows", "3000", "--products", "20", "--warehouses", "5", "--event-days", "2",
          "--start", "2025-01-01", "--end", "2025-03-31"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="build even when a complete archive exists")
    args = parser.parse_args(argv)
    directory = archive_dir(Settings.from_env().jvm_archive_dir)
    if directory is None:
        print("jvm archive: SUPPLYCHAIN_JVM_ARCHIVE_DIR=off, nothing to build")
        return 0
    path = archive_path(directory, LOCAL_JAVA_OPTIONS)
    if is_complete(path) and not args.force:
        print(f"jvm archive: {path} is up to date")
        return 0
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"jvm archive: cannot write {directory} ({error}); sessions run without one")
        return 0
    # A name of this build's own: two builds at once never write the same file.
    dumped = directory / f"{path.name}.{os.getpid()}.dump"
    began = time.monotonic()
    try:
        if dump_classes(dumped) and dumped.is_file():
            publish(dumped, path)
            print(f"jvm archive: wrote {path} ({path.stat().st_size >> 20} MiB) in {time.monotonic() - began:.0f} s")
            return 0
        print("jvm archive: the build's JVM did not exit cleanly; no archive (sessions run without one)")
        return 0
    finally:
        dumped.unlink(missing_ok=True)


def dump_classes(dumped: Path) -> bool:
    """Ingests a small sample lake with the dump option set, then closes the session and waits for its JVM."""
    os.environ[DUMP_VARIABLE] = str(dumped)
    os.environ["SUPPLYCHAIN_SETTLE_SECONDS"] = "0"  # the drops were just written: read them now
    from supplychain.cli import main as supplychain

    with tempfile.TemporaryDirectory(prefix="jvm-archive-") as lake:
        if supplychain(["--lake-root", lake, "generate", *SAMPLE]) or supplychain(["--lake-root", lake, "ingest"]):
            return False  # a dump of a failed ingest would miss the classes a real one loads
        from pyspark.sql import SparkSession

        try:
            return stop_and_wait(SparkSession.builder.getOrCreate()) == 0  # the ingest's session, still running
        except subprocess.TimeoutExpired:
            return False


if __name__ == "__main__":
    sys.exit(main())
