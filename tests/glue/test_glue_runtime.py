"""The ingestion suite and the edge-value rules under the Spark Glue 5.0 ships (3.5.4), in .venv/tools/glue5.

The session there is built the way Glue builds one (Spark's defaults, then the job's own apply_project_settings:
tests/conftest.py, SUPPLYCHAIN_TEST_SESSION=glue). The edge-value outcomes it writes must equal the ones the
project's Spark gives here, value for value and rule for rule.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyspark
import pytest

from tests.glue.edge_values import outcomes

REPOSITORY = Path(__file__).resolve().parents[2]
GLUE5_PYTHON = REPOSITORY / ".venv" / "tools" / "glue5" / "bin" / "python"
GLUE5_SPARK = "3.5.4"

pytestmark = [
    pytest.mark.glue,
    pytest.mark.skipif(pyspark.__version__.startswith("3."), reason="this is the outer run: it starts the Glue one"),
]


@pytest.fixture(scope="module")
def glue_run(tmp_path_factory):
    if not GLUE5_PYTHON.exists():
        pytest.fail(f"{GLUE5_PYTHON} is missing: run `make setup`")
    folder = tmp_path_factory.mktemp("glue5")
    edge_outcomes = folder / "edge_outcomes.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY),
        "PYSPARK_PYTHON": str(GLUE5_PYTHON),
        "PYSPARK_DRIVER_PYTHON": str(GLUE5_PYTHON),
        "SUPPLYCHAIN_TEST_SESSION": "glue",
        "SUPPLYCHAIN_EDGE_OUTCOMES": str(edge_outcomes),
    }
    env.pop("SPARK_HOME", None)
    command = [
        str(GLUE5_PYTHON),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/ingestion",
        "tests/glue/test_edge_values.py",
    ]
    finished = subprocess.run(command, cwd=REPOSITORY, env=env, capture_output=True, text=True)
    return finished, edge_outcomes


def test_the_glue_runtime_is_spark_3_5_4():
    version = subprocess.run(
        [str(GLUE5_PYTHON), "-c", "import pyspark; print(pyspark.__version__)"], capture_output=True, text=True
    )
    assert version.stdout.strip() == GLUE5_SPARK


def test_the_ingestion_suite_passes_under_glue_5(glue_run):
    finished, _ = glue_run
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    assert " passed" in finished.stdout and " failed" not in finished.stdout


def test_the_rules_give_the_same_outcome_on_both_runtimes(glue_run, spark):
    _, edge_outcomes = glue_run
    assert edge_outcomes.exists(), "the Glue run wrote no edge-value outcomes"
    on_glue = json.loads(edge_outcomes.read_text())
    here = outcomes(spark)
    differing = [(a, b) for a, b in zip(on_glue, here, strict=True) if a != b]
    assert not differing, f"{len(differing)} of {len(here)} edge values differ (Glue 5.0, project): {differing}"
