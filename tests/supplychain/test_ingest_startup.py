"""`supplychain ingest` starts its JVM as soon as it can: the command line imports none of the other stages' heavy
libraries on the way (pandas for the sample generator, yaml, dbt and pyarrow.compute for the warehouse build),
whose imports came before the JVM's start (about 0.25 s at a million lines, BENCHMARKS.md, session 41)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "yaml", "dbt", "duckdb", "pyarrow.compute", "statsforecast", "pulp", "boto3",
         "sample_data.generate", "foundation.warehouse.build")  # fmt: skip

# The command as a user runs it, stopped where it asks for its Spark session: the modules loaded by then.
PROBE = """
import json, sys
import foundation.spark

def stop(*args, **kwargs):
    print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
    raise SystemExit(0)

foundation.spark.spark_session = stop
from supplychain.cli import main
main(["--lake-root", {lake!r}, "ingest"])
"""


def test_the_ingest_command_reaches_its_spark_session_without_the_other_stages_libraries(tmp_path):
    (tmp_path / "raw").mkdir()
    probe = PROBE.format(heavy=HEAVY, lake=str(tmp_path))
    child = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-2000:]
    assert json.loads(child.stdout.strip().splitlines()[-1]) == []  # main: pandas, yaml, the build, ...
