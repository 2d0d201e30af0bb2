"""The ingestion suite and the edge-value rules under the Spark Glue 5.0 ships (3.5.4), in .venv/tools/glue5.

The session there is built the way Glue builds one (Spark's defaults, then the job's own apply_project_settings:
tests/conftest.py, SUPPLYCHAIN_TEST_SESSION=glue). The edge-value outcomes it writes must equal the ones the
project's Spark gives here, value for value and rule for rule. A job script runs under Glue 5.0's spark-submit on a
drop holding a date 3.5's parser used to crash on.

The whole-lake runs (marker e2e, about five minutes more on 2 cores) are left out unless SUPPLYCHAIN_GLUE_FULL=1:
they exercise the same rules and session as the tests that do run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyspark
import pytest

from tests.glue.edge_values import outcomes
from tests.glue.glue5 import GLUE5_PYTHON, REPOSITORY, glue_environment

GLUE5_SPARK = "3.5.4"

pytestmark = [
    pytest.mark.glue,
    pytest.mark.skipif(pyspark.__version__.startswith("3."), reason="this is the outer run: it starts the Glue one"),
]


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


def run_products_job(lake: Path, launch_dates: list[str]) -> subprocess.CompletedProcess:
    """The products Glue job under Glue 5.0's spark-submit, on one drop holding one product per launch date."""
    drop = lake / "raw" / "product_master" / "year=2024" / "month=01" / "day=02"
    drop.mkdir(parents=True)
    lines = [
        json.dumps(
            {
                "product_id": f"P{number}",
                "product_name": "Kettle",
                "category": "kitchen",
                "unit_price": "19.90",
                "updated_at": "2024-01-02 08:00:00",
                "launch_date": launch_date,
            }
        )
        for number, launch_date in enumerate(launch_dates, start=1)
    ]
    (drop / "product_master_20240102.jsonl").write_text("\n".join(lines) + "\n")
    env = glue_environment()
    env.pop("SUPPLYCHAIN_TEST_SESSION")  # spark-submit runs the job's own session factory
    submit = GLUE5_PYTHON.with_name("spark-submit")
    args = ["--lake-root", str(lake), "--run-date", "2024-01-02", "--max-quarantine-rate", "0.9"]
    return subprocess.run(
        [str(submit), "--master", "local[1]", "ingestion/jobs/products.py", *args],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_job_quarantines_a_lenient_date_under_glue_5_instead_of_failing_the_batch(tmp_path):
    """The issue's finding, run for real: under 3.5's defaults `2024-1-2` raised SparkUpgradeException, the job
    exited 1 with no report and its bookmark never moved. The job now sets the parser policy on its own session."""
    done = run_products_job(tmp_path / "lake", ["2024-01-02", "2024-1-2"])
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    report = json.loads((tmp_path / "lake" / "processed" / "_reports" / "products" / "latest.json").read_text())
    assert (report["status"], report["rows_written"], report["quarantined_by_rule"]) == (
        "succeeded",
        1,
        {"invalid_date": 1},
    )


def test_a_job_writes_dates_before_the_gregorian_switch_under_glue_5(tmp_path):
    """Spark 3.5 defaults the Parquet rebase modes to EXCEPTION: a launch date typed 0202-05-01 passes the rules,
    then the write threw WRITE_ANCIENT_DATETIME and the job exited 1 with no report. The job's session now writes
    them as Spark 4 does (CORRECTED): the value in the file is the date in the drop, as pyarrow reads it."""
    import pyarrow.parquet as pq

    edge_dates = ["0202-05-01", "0001-01-01", "1582-10-10", "2024-01-02"]
    done = run_products_job(tmp_path / "lake", edge_dates)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    report = json.loads((tmp_path / "lake" / "processed" / "_reports" / "products" / "latest.json").read_text())
    assert (report["status"], report["rows_written"]) == ("succeeded", len(edge_dates))
    written = pq.read_table(tmp_path / "lake" / "processed" / "products", columns=["product_id", "launch_date"])
    by_product = {row["product_id"]: str(row["launch_date"]) for row in written.to_pylist()}
    assert by_product == {f"P{n}": date for n, date in enumerate(edge_dates, start=1)}


SHUFFLE_PROBE = """
import sys
from pyspark.sql import SparkSession
from foundation.spark import apply_project_settings
for workers in (2, 10):
    # What Glue 5.0 gives a job of `workers` G.1X workers: one executor of 4 cores each, the driver on one of them.
    spark = (SparkSession.builder.master("local[1]").config("spark.executor.cores", "4")
             .config("spark.executor.instances", str(workers - 1)).config("spark.dynamicAllocation.enabled", "true")
             .config("spark.dynamicAllocation.maxExecutors", str(workers - 1)).getOrCreate())
    print(workers, apply_project_settings(spark).conf.get("spark.sql.shuffle.partitions"))
    spark.stop()
"""


def test_the_glue_session_shuffles_over_every_worker():
    """The shuffle partitions were pinned to 4: the merge ran in 4 tasks however many workers the job had. A
    session configured as Glue configures one now gets two tasks per executor core."""
    done = subprocess.run(
        [str(GLUE5_PYTHON), "-c", SHUFFLE_PROBE], cwd=REPOSITORY, env=glue_environment(), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    partitions = dict(line.split() for line in done.stdout.splitlines() if line[:1].isdigit())
    assert partitions == {"2": "8", "10": "72"}
