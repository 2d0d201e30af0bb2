"""The local driver's class-data archive (foundation/jvm_archive.py): a session maps it when it is complete, and
runs the same without it when it is absent, truncated or corrupt (a truncated archive mapped as it is crashes the
JVM with SIGBUS; a corrupt one must be refused by the JVM, never crash it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyspark
import pytest

from foundation.jvm_archive import DUMP_VARIABLE, QUIET, archive_path, publish
from foundation.settings import Settings
from foundation.spark import LOCAL_JAVA_OPTIONS, local_java_options

ROOT = Path(__file__).resolve().parents[2]
# A fresh local session (its own JVM) with the archive directory given: sums 0..6.
SESSION = """
import sys
from foundation.settings import Settings
from foundation.spark import spark_session
spark = spark_session("archive-test", Settings(spark_master="local[1]", spark_memory="1g", jvm_archive_dir=sys.argv[1]))
print("sum", spark.range(7).selectExpr("sum(id)").first()[0])
"""


def session(directory: Path, log: Path) -> tuple[subprocess.CompletedProcess, str]:
    """Runs SESSION in a child; its output and the driver JVM's class-load log (what it read from the archive)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SPARK_SUBMIT_OPTS": f"-Xlog:class+load:file={log}"}
    env.pop(DUMP_VARIABLE, None)
    child = subprocess.run([sys.executable, "-c", SESSION, str(directory)], capture_output=True, text=True, env=env,
                           cwd=ROOT, timeout=300)  # fmt: skip
    return child, log.read_text() if log.exists() else ""


def test_a_local_session_maps_the_archive_only_when_it_is_complete(tmp_path):
    settings = Settings(jvm_archive_dir=str(tmp_path))
    path = archive_path(tmp_path, LOCAL_JAVA_OPTIONS)
    assert "SharedArchiveFile" not in local_java_options(settings)  # none built yet
    path.write_bytes(b"x" * 100)
    assert "SharedArchiveFile" not in local_java_options(settings)  # a dump in progress: no size recorded
    dumped = tmp_path / "dump"
    dumped.write_bytes(b"x" * 100)
    publish(dumped, path)
    assert f"-XX:SharedArchiveFile={path}" in local_java_options(settings)
    with path.open("r+b") as archive:  # truncated after its build
        archive.truncate(60)
    assert "SharedArchiveFile" not in local_java_options(settings)
    assert local_java_options(Settings(jvm_archive_dir="off")) == LOCAL_JAVA_OPTIONS
    assert not list(tmp_path.glob("*.size.*")), "the recorded size is written beside, then renamed into place"


@pytest.mark.e2e
def test_the_dump_is_a_setting_read_from_the_environment_like_the_others(tmp_path, monkeypatch):
    """The build's dump file comes through Settings (from_env), not from a variable read behind its back."""
    dump = str(tmp_path / "classes.jsa")
    assert Settings.from_env({DUMP_VARIABLE: dump}).jvm_archive_dump == dump
    assert f"-XX:ArchiveClassesAtExit={dump}" in local_java_options(Settings(jvm_archive_dump=dump))
    monkeypatch.setenv(DUMP_VARIABLE, dump)
    assert "ArchiveClassesAtExit" not in local_java_options(Settings(jvm_archive_dir="off"))


def test_a_session_reads_classes_from_an_archive_and_runs_the_same_on_a_corrupt_one(tmp_path):
    # A small archive made the quick way: the classes `spark-submit --version` loads, in the JVM a session starts
    # (same launcher, class path and java); the real one (scripts/build_jvm_archive.py) holds an ingest's classes.
    dumped = tmp_path / "classes.dump"
    spark_submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = {**os.environ, "SPARK_SUBMIT_OPTS": f"-XX:ArchiveClassesAtExit={dumped} {QUIET}"}
    subprocess.run([str(spark_submit), "--version"], capture_output=True, env=env, check=True, timeout=300)
    archives = tmp_path / "archives"
    path = archive_path(archives, LOCAL_JAVA_OPTIONS)
    publish(dumped, path)

    mapped, loaded = session(archives, tmp_path / "mapped.log")
    assert mapped.returncode == 0 and "sum 21" in mapped.stdout, mapped.stderr[-3000:]
    assert loaded.count("shared objects file (top)") > 500  # Spark's own classes, from the archive

    # The same size, so it passes as complete, with a corrupt middle: the JVM's checksums refuse it.
    path.chmod(0o644)
    with path.open("r+b") as archive:
        archive.seek(path.stat().st_size // 2)
        archive.write(b"\xff" * 4096)
    corrupt, loaded = session(archives, tmp_path / "corrupt.log")
    assert corrupt.returncode == 0 and "sum 21" in corrupt.stdout, corrupt.stderr[-3000:]
    assert "shared objects file (top)" not in loaded
    assert "fatal error" not in corrupt.stdout + corrupt.stderr
