"""The local driver JVM's class-data-sharing archive: the classes a Spark session loads, parsed and verified once
(by `make setup`, scripts/build_jvm_archive.py) and mapped from one file by every later local session, instead of
being read from 280 jars at each start (BENCHMARKS.md, session 35). Never used on Glue (foundation/spark.py).

The archive is an optimisation only: a session runs the same without it. So it is used only when it is complete
(its size recorded beside it once the dumping JVM exited cleanly: a truncated archive crashes the JVM with SIGBUS),
and only by the JVM it was made for (the key below names the Java runtime, the Spark jars and the JVM options; a
rebuild writes a new name). Anything else the JVM finds wrong with it (another JDK build, a changed class path,
a corrupt byte: VerifySharedSpaces checks its checksums) makes the JVM ignore it and load classes as usual.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

# The directory's default: the virtual environment's own tools (the archive belongs to its Spark jars).
DEFAULT_DIR = Path(sys.prefix) / "tools" / "spark-cds"
# Where a build asks its session to dump the classes it loaded (set by scripts/build_jvm_archive.py only; read,
# like every setting, by foundation/settings.py).
DUMP_VARIABLE = "SUPPLYCHAIN_JVM_ARCHIVE_DUMP"
# The JVM's own warnings about an archive it cannot use are noise to a user: the run goes on without it.
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def archive_dir(configured: str) -> Path | None:
    """The directory archives live in (SUPPLYCHAIN_JVM_ARCHIVE_DIR, default under the venv); None when `off`."""
    if configured == "off":
        return None
    return Path(configured) if configured else DEFAULT_DIR


def archive_path(directory: Path, java_options: str) -> Path:
    return directory / f"driver-{archive_key(java_options)}.jsa"


def archive_key(java_options: str) -> str:
    """What the archive was made for: the java binary (a JDK upgrade replaces it), every Spark jar (name, size,
    time) and the driver's JVM options. A different key means another file, so a stale one is never picked."""
    parts = [java_options, _java_identity()]
    jars = _spark_jars_dir()
    if jars is not None:
        parts += [f"{entry.name}:{entry.stat().st_size}:{entry.stat().st_mtime_ns}" for entry in sorted(
            os.scandir(jars), key=lambda entry: entry.name)]  # fmt: skip
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def driver_options(directory: Path | None, java_options: str, dump_to: str = "") -> str:
    """The JVM options that add the archive to a local driver: dump into `dump_to` (a build), map it (it is
    complete), or nothing (no directory, no archive yet, or an incomplete one)."""
    if dump_to:
        return f"-XX:ArchiveClassesAtExit={dump_to} {QUIET}"
    if directory is None:
        return ""
    path = archive_path(directory, java_options)
    if not is_complete(path):
        return ""
    return f"-XX:SharedArchiveFile={path} -XX:+VerifySharedSpaces {QUIET}"


def is_complete(path: Path) -> bool:
    """The archive exists and has the size its build recorded once the JVM that wrote it had exited cleanly."""
    try:
        return path.stat().st_size == int(_size_file(path).read_text())
    except (OSError, ValueError):
        return False


def publish(dumped: Path, path: Path) -> None:
    """Moves a finished dump into place, then records its size: a reader sees either no archive or a whole one,
    and two builds at once each publish a whole file (the last rename wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = dumped.stat().st_size
    os.replace(dumped, path)
    recorded = _size_file(path).with_name(f"{_size_file(path).name}.{os.getpid()}")
    recorded.write_text(str(size))
    os.replace(recorded, _size_file(path))


def stop_and_wait(spark, timeout: float = 600) -> int:
    """Stops a local session and waits for its JVM to exit (a dumping JVM writes its archive then); its exit code.
    PySpark keeps the JVM's process on the gateway and ends it only by closing its stdin: both are used here."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    jvm = gateway.proc
    spark.stop()
    gateway.shutdown()
    jvm.stdin.close()
    return jvm.wait(timeout=timeout)


def _size_file(path: Path) -> Path:
    return path.with_name(f"{path.name}.size")


def _java_identity() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home) / "bin" / "java" if java_home else shutil.which("java")
    if not java:
        return "no java"
    real = Path(java).resolve()
    try:
        return f"{real}:{real.stat().st_mtime_ns}"
    except OSError:
        return str(real)


def _spark_jars_dir() -> Path | None:
    import pyspark

    for home in (os.environ.get("SPARK_HOME"), os.path.dirname(pyspark.__file__)):
        if home and (Path(home) / "jars").is_dir():
            return Path(home) / "jars"
    return None
