"""The pipeline image's entry script against moto: artifacts kept under the run, quarantine rates published."""

from __future__ import annotations

import json
import sys
import uuid

import pytest

from orchestration import names
from orchestration.docker import entrypoint

pytestmark = pytest.mark.aws


@pytest.fixture
def bucket(aws):
    name = f"lake-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=name)
    return name


def listed(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_upload_artifacts_keeps_dbt_files_and_the_step_record(aws, bucket, tmp_path):
    (tmp_path / "manifest.json").write_text('{"nodes": {}}')
    (tmp_path / "run_results.json").write_text('{"results": []}')
    (tmp_path / "index.html").write_text("<html></html>")
    (tmp_path / "partial_parse.msgpack").write_bytes(b"\0")  # dbt's cache: not an artifact
    s3 = aws("s3")
    keys = entrypoint.upload_artifacts(s3, bucket, "run-7", "docs-generate", tmp_path, {"exit_code": 0})
    prefix = "runs/run-7/docs-generate/"
    expected = [prefix + n for n in ("index.html", "manifest.json", "run_results.json", "step.json")]
    assert sorted(keys) == listed(s3, bucket) == expected
    page = s3.get_object(Bucket=bucket, Key=prefix + "index.html")
    assert page["ContentType"] == "text/html" and page["Body"].read() == b"<html></html>"
    assert json.loads(s3.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read()) == {"nodes": {}}


def test_main_runs_the_command_and_keeps_artifacts_even_when_it_fails(aws, bucket, tmp_path, monkeypatch):
    target = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    monkeypatch.setenv("SUPPLYCHAIN_ARTIFACT_BUCKET", bucket)
    monkeypatch.setenv("SUPPLYCHAIN_RUN_ID", "run-8")
    monkeypatch.setenv("SUPPLYCHAIN_PIPELINE_STEP", "build-warehouse")
    # Stands in for `dbt build`: writes run results like dbt, then fails like a failing test would.
    script = (
        "import os, pathlib; t = pathlib.Path(os.environ['DBT_TARGET_PATH']); t.mkdir(); "
        '(t / \'run_results.json\').write_text(\'{"results": [{"status": "fail"}]}\'); raise SystemExit(1)'
    )
    assert entrypoint.main([sys.executable, "-c", script]) == 1
    s3 = aws("s3")
    prefix = "runs/run-8/build-warehouse/"
    assert listed(s3, bucket) == [prefix + "run_results.json", prefix + "step.json"]
    record = json.loads(s3.get_object(Bucket=bucket, Key=prefix + "step.json")["Body"].read())
    assert record["exit_code"] == 1 and record["command"][0] == sys.executable and record["run_id"] == "run-8"


def test_quarantine_rates_are_published_per_environment_and_source(aws, bucket):
    s3 = aws("s3")
    for source, rate in (("sales", 0.012), ("products", 0.0)):
        report = {"entity": source, "quarantine_rate": rate, "status": "succeeded"}
        s3.put_object(Bucket=bucket, Key=f"lake/processed/_reports/{source}/latest.json", Body=json.dumps(report))
        s3.put_object(Bucket=bucket, Key=f"lake/processed/_reports/{source}/r1.json", Body=json.dumps(report))
    environment = f"e{uuid.uuid4().hex[:6]}"
    rates = entrypoint.publish_quarantine_rates(f"s3://{bucket}/lake", environment, s3=s3, cloudwatch=aws("cloudwatch"))
    assert rates == {"sales": 0.012, "products": 0.0}
    metrics = aws("cloudwatch").list_metrics(Namespace=names.METRIC_NAMESPACE, MetricName=names.QUARANTINE_METRIC)
    dimensions = [
        {d["Name"]: d["Value"] for d in m["Dimensions"]}
        for m in metrics["Metrics"]
        if {"Name": "Environment", "Value": environment} in m["Dimensions"]
    ]
    expected = [
        {"Environment": environment},
        {"Environment": environment, "Source": "products"},
        {"Environment": environment, "Source": "sales"},
    ]
    assert sorted(dimensions, key=lambda d: sorted(d.items())) == sorted(expected, key=lambda d: sorted(d.items()))


def test_the_dockerfile_copies_what_exists_and_enters_through_the_entry_script():
    from pathlib import Path

    repository = Path(__file__).resolve().parents[2]
    lines = (repository / "orchestration" / "docker" / "Dockerfile").read_text().splitlines()
    sources = [line.split()[1] for line in lines if line.startswith("COPY ")]
    missing = [s for s in sources for part in s.split() if not (repository / part).exists()]
    assert sources and not missing, missing
    [entry] = [line for line in lines if line.startswith("ENTRYPOINT")]
    assert json.loads(entry.removeprefix("ENTRYPOINT ")) == ["python", "-m", "orchestration.docker.entrypoint"]
    assert any(line.startswith("USER ") and "root" not in line for line in lines)


def test_a_pipeline_step_runs_in_process_through_the_step_actions(aws, bucket, tmp_path, monkeypatch, caplog):
    """`step load` runs the same action the local runner does: on a lake with no processed zone it fails with the
    load's own message and an exit code Step Functions sees; an unknown step is refused."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("SUPPLYCHAIN_ARTIFACT_BUCKET", bucket)
    monkeypatch.setenv("SUPPLYCHAIN_RUN_ID", "run-9")
    monkeypatch.setenv("SUPPLYCHAIN_LAKE_ROOT", str(tmp_path / "empty-lake"))
    monkeypatch.setenv("SUPPLYCHAIN_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    assert entrypoint.main(["step", "load"]) == 1
    assert "step load failed: " in caplog.text and "processed" in caplog.text
    record = json.loads(aws("s3").get_object(Bucket=bucket, Key="runs/run-9/load/step.json")["Body"].read())
    assert (record["step"], record["command"], record["exit_code"]) == ("load", ["step", "load"], 1)
    assert entrypoint.main(["step", "no-such-step"]) == 2
