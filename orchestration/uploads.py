"""`supplychain aws upload-data`: the Glue job code to the deployment bucket, the raw drops to the data lake.

Drops are immutable, so a file already in S3 with the same size is skipped and an interrupted upload is simply
run again. After the drops, a marker under raw/_uploads/ tells EventBridge one upload is complete: the pipeline
starts once per upload, not once per file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from orchestration.aws import Aws, AwsError, explained
from orchestration.deploy import stack_outputs

REPOSITORY = Path(__file__).resolve().parents[1]
# What the Glue jobs import: the ingestion package and the shared configuration it reads.
GLUE_PACKAGES = ("foundation", "ingestion")
GLUE_PACKAGE_KEY = "glue/supplychain.zip"
UPLOAD_MARKERS = "raw/_uploads/"


@dataclass(frozen=True)
class UploadSummary:
    scripts: list[str]
    drops_uploaded: int
    drops_skipped: int
    marker: str | None


def upload_data(aws: Aws, raw_folder: Path, lake_bucket: str | None = None, marker: bool = True) -> UploadSummary:
    scripts = upload_glue_code(aws)
    bucket = lake_bucket or stack_outputs(aws).get("DataLakeBucketName")
    if not bucket:
        raise AwsError(f"stack {aws.stack_name} has no DataLakeBucketName output: deploy it first")
    uploaded, skipped = upload_raw(aws, raw_folder, bucket)
    key = write_marker(aws, bucket, uploaded) if marker and uploaded else None
    return UploadSummary(scripts, uploaded, skipped, key)


def glue_job_scripts() -> list[Path]:
    return sorted(p for p in (REPOSITORY / "ingestion" / "jobs").glob("*.py") if p.name != "__init__.py")


def glue_package() -> bytes:
    """The packages the job scripts import, as the zip Glue's --extra-py-files expects (sources only)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in GLUE_PACKAGES:
            for path in sorted((REPOSITORY / package).rglob("*.py")):
                if "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(REPOSITORY).as_posix())
    return buffer.getvalue()


def upload_glue_code(aws: Aws) -> list[str]:
    s3 = aws.client("s3")
    bucket = aws.deployment_bucket
    keys = []
    with explained(f"upload the Glue job code to s3://{bucket} (run `supplychain aws bootstrap` first?)"):
        for script in glue_job_scripts():
            key = f"glue/jobs/{script.name}"
            s3.put_object(Bucket=bucket, Key=key, Body=script.read_bytes())
            keys.append(key)
        s3.put_object(Bucket=bucket, Key=GLUE_PACKAGE_KEY, Body=glue_package())
    return [*keys, GLUE_PACKAGE_KEY]


def upload_raw(aws: Aws, raw_folder: Path, bucket: str) -> tuple[int, int]:
    if not raw_folder.is_dir():
        raise FileNotFoundError(
            f"{raw_folder} is not a folder of raw drops: generate them with `supplychain generate` "
            "or point --lake-root at a lake"
        )
    s3 = aws.client("s3")
    with explained(f"upload raw drops to s3://{bucket}/raw/"):
        present = {
            item["Key"]: item["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="raw/")
            for item in page.get("Contents", [])
        }
        uploaded = skipped = 0
        for path in sorted(p for p in raw_folder.rglob("*") if p.is_file()):
            relative = path.relative_to(raw_folder)
            if any(part.startswith((".", "_")) for part in relative.parts):
                continue  # hidden, in-flight or bookkeeping files are not drops
            key = "raw/" + relative.as_posix()
            if present.get(key) == path.stat().st_size:
                skipped += 1
                continue
            s3.upload_file(str(path), bucket, key)
            uploaded += 1
    return uploaded, skipped


def write_marker(aws: Aws, bucket: str, files: int) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    key = f"{UPLOAD_MARKERS}{now:%Y%m%dT%H%M%S%fZ}.json"
    body = json.dumps({"uploaded_at": now.isoformat(), "files": files}).encode()
    with explained(f"write the upload marker s3://{bucket}/{key}"):
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    return key
