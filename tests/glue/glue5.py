"""The Glue 5.0 runtime the tests drive (Spark 3.5.4 in .venv/tools/glue5) and its run of the ingestion suite.

The suite's run takes a minute and a half of mostly Spark work; it is started in the background as soon as
collection ends (conftest.py), so it overlaps the outer suite's single-threaded stretches (dbt, pandas) instead of
adding to them. A run of the Glue tests alone starts it when the first test asks for it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
GLUE5_PYTHON = REPOSITORY / ".venv" / "tools" / "glue5" / "bin" / "python"


def glue_environment() -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY),
        "PYSPARK_PYTHON": str(GLUE5_PYTHON),
        "PYSPARK_DRIVER_PYTHON": str(GLUE5_PYTHON),
        "SUPPLYCHAIN_TEST_SESSION": "glue",
    }
    env.pop("SPARK_HOME", None)
    return env


@dataclass
class SuiteRun:
    """The ingestion suite and the edge-value outcomes, running under Glue 5.0 in a folder of its own."""

    process: subprocess.Popen
    folder: Path

    @property
    def edge_outcomes(self) -> Path:
        return self.folder / "edge_outcomes.json"

    @classmethod
    def start(cls) -> SuiteRun:
        folder = Path(tempfile.mkdtemp(prefix="supplychain-glue5-"))
        env = glue_environment()
        env["SUPPLYCHAIN_EDGE_OUTCOMES"] = str(folder / "edge_outcomes.json")
        command = [
            str(GLUE5_PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={folder / 'tmp'}",
            "tests/ingestion", "tests/glue/test_edge_values.py",
            *([] if os.environ.get("SUPPLYCHAIN_GLUE_FULL") == "1" else ["-m", "not e2e"]),
        ]  # fmt: skip
        return cls.launch(command, env, folder)

    @classmethod
    def launch(cls, command: list[str], env: dict[str, str], folder: Path) -> SuiteRun:
        # Output to files, not pipes: nobody reads it until the run ends, and a full pipe would stall it.
        # Its own process group, so stop() takes the Spark JVMs the inner pytest started along with it.
        with open(folder / "stdout", "w") as stdout, open(folder / "stderr", "w") as stderr:
            process = subprocess.Popen(
                command, cwd=REPOSITORY, env=env, stdout=stdout, stderr=stderr, start_new_session=True
            )
        return cls(process, folder)

    def output(self, name: str) -> str:
        return (self.folder / name).read_text(errors="replace")

    def finished(self) -> subprocess.CompletedProcess:
        returncode = self.process.wait()
        return subprocess.CompletedProcess(self.process.args, returncode, self.output("stdout"), self.output("stderr"))

    def stop(self) -> None:
        """Kills the run's whole process group: the inner pytest and every JVM it started."""
        with contextlib.suppress(ProcessLookupError):  # the group has already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
