"""The pipeline image's entry point: run one pipeline step, then keep its dbt artifacts in S3 under the run.

    python -m orchestration.docker.entrypoint step forecast          # a step of orchestration.pipeline, by name
    python -m orchestration.docker.entrypoint dbt debug              # any other command, run as it is

A step runs through `orchestration.step_actions.run_step`, the same function the local runner calls, so a step does
the same in the container as on a laptop (the load and mart builds are steps of their own in both).

Step Functions passes the command as the container override and the run through the environment:
SUPPLYCHAIN_RUN_ID, SUPPLYCHAIN_PIPELINE_STEP, SUPPLYCHAIN_ARTIFACT_BUCKET (the lake bucket),
SUPPLYCHAIN_LAKE_ROOT, SUPPLYCHAIN_ENVIRONMENT. dbt's manifest, run results and the docs site land in
s3://<bucket>/runs/<run_id>/<step>/, with step.json recording the command, exit code and times; they are
uploaded when the command fails too, since run_results.json says why. Before the `load` step (the first after
ingestion) the latest quarantine rate of every source is published to CloudWatch for the template's alarm.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from orchestration import names

log = logging.getLogger("entrypoint")

# What dbt leaves in its target folder that is worth keeping: the graph, the results, and the docs site.
DBT_ARTIFACTS = ("manifest.json", "run_results.json", "catalog.json", "index.html", "semantic_manifest.json")
QUARANTINE_STEP = "load"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print("usage: entrypoint.py step <step name> | <command ...>", file=sys.stderr)
        return 2
    env = os.environ
    started = dt.datetime.now(dt.timezone.utc)
    run_id = env.get("SUPPLYCHAIN_RUN_ID") or f"adhoc-{started:%Y%m%dT%H%M%SZ}"
    is_step = command[0] == "step" and len(command) == 2
    step = command[1] if is_step else (env.get("SUPPLYCHAIN_PIPELINE_STEP") or "-".join(command[:2]))
    bucket = env.get("SUPPLYCHAIN_ARTIFACT_BUCKET")
    if step == QUARANTINE_STEP and env.get("SUPPLYCHAIN_LAKE_ROOT", "").startswith("s3://"):
        publish_quarantine_rates(env["SUPPLYCHAIN_LAKE_ROOT"], env.get("SUPPLYCHAIN_ENVIRONMENT", "dev"))
    code = run_pipeline_step(step) if is_step else subprocess.run(command).returncode
    record = {
        "run_id": run_id,
        "step": step,
        "command": command,
        "exit_code": code,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    if bucket:
        target = Path(env.get("DBT_TARGET_PATH") or "target")
        keys = upload_artifacts(_client("s3"), bucket, run_id, step, target, record)
        log.info("kept %d artifacts under s3://%s/runs/%s/%s/", len(keys), bucket, run_id, step)
    else:
        log.warning("SUPPLYCHAIN_ARTIFACT_BUCKET is not set: dbt artifacts are not kept")
    return code


def run_pipeline_step(name: str) -> int:
    """One step of the pipeline definition, with the stages' default options and the settings from the environment
    (SUPPLYCHAIN_LAKE_ROOT, SUPPLYCHAIN_TARGET, SUPPLYCHAIN_RUN_DATE, ...); 0 on success, 1 on a failure (logged)."""
    import tempfile

    from foundation.settings import Settings
    from foundation.stage import Resources
    from ingestion.stage import IngestOptions
    from orchestration.pipeline import STEPS
    from orchestration.step_actions import PipelineOptions, RunContext, run_step

    by_name = {s.name: s for s in STEPS}
    if name not in by_name:
        log.error("unknown step %s; the pipeline's steps are: %s", name, ", ".join(by_name))
        return 2
    settings = Settings.from_env()
    options = PipelineOptions(ingest=IngestOptions(**IngestOptions.settings_defaults(settings)))
    context = RunContext(Resources.from_settings(settings), options, Path(tempfile.mkdtemp(prefix="step-")))
    try:
        figures = run_step(by_name[name], context)
    except Exception as failure:  # the exit code tells Step Functions; the message tells a person
        log.error("step %s failed: %s", name, failure)
        log.debug("the failure in full", exc_info=failure)
        return 1
    log.info("step %s: %s", name, json.dumps(figures, default=str))
    return 0


def artifact_prefix(run_id: str, step: str) -> str:
    return f"runs/{run_id}/{step}/"


def upload_artifacts(s3, bucket: str, run_id: str, step: str, target: Path, record: dict) -> list[str]:
    """Copy the dbt artifacts found in `target` and the step record to the run's folder; returns the keys."""
    prefix = artifact_prefix(run_id, step)
    keys = []
    for name in DBT_ARTIFACTS:
        path = target / name
        if path.is_file():
            content_type = "text/html" if name.endswith(".html") else "application/json"
            s3.upload_file(str(path), bucket, prefix + name, ExtraArgs={"ContentType": content_type})
            keys.append(prefix + name)
    body = json.dumps(record, indent=2).encode()
    s3.put_object(Bucket=bucket, Key=prefix + "step.json", Body=body, ContentType="application/json")
    return [*keys, prefix + "step.json"]


def publish_quarantine_rates(lake_root: str, environment: str, s3=None, cloudwatch=None) -> dict[str, float]:
    """Each source's latest quarantine rate (processed/_reports/<source>/latest.json) as a CloudWatch metric."""
    s3 = s3 or _client("s3")
    cloudwatch = cloudwatch or _client("cloudwatch")
    bucket, _, base = lake_root[len("s3://") :].partition("/")
    prefix = (base.strip("/") + "/" if base.strip("/") else "") + "processed/_reports/"
    rates = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/latest.json"):
                report = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
                rates[report.get("entity") or item["Key"].split("/")[-2]] = float(report.get("quarantine_rate", 0))
    data = []
    for source, rate in sorted(rates.items()):
        # With and without the source: the alarm watches the environment, a dashboard can split by source.
        for dimensions in ([("Environment", environment)], [("Environment", environment), ("Source", source)]):
            data.append(
                {
                    "MetricName": names.QUARANTINE_METRIC,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions],
                    "Value": rate,
                    "Unit": "None",
                }
            )
    for start in range(0, len(data), 20):  # PutMetricData takes at most 20 data points per call here
        cloudwatch.put_metric_data(Namespace=names.METRIC_NAMESPACE, MetricData=data[start : start + 20])
    return rates


def _client(service: str):
    from orchestration.aws import Aws

    return Aws().client(service)


if __name__ == "__main__":
    sys.exit(main())
