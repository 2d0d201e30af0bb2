"""Glue: the raw catalog database, the crawler over raw/, one job per ingestion job, and their roles."""

from __future__ import annotations

from typing import Any

from orchestration import names
from orchestration.pipeline import INGEST_WAVES, STEPS
from orchestration.template.cfn import (
    CODE_PREFIX,
    ENV,
    KMS_USE,
    LAKE_ARN,
    allow,
    arn,
    lake_objects,
    policy,
    ref,
    role,
    sub,
)

# What the ingestion package needs beyond Glue 5.0's own modules: pyarrow.fs (foundation/lake.py), pinned to the
# version the Glue-runtime tests run (ci/glue5-requirements.txt; a test keeps the two equal), since the version
# Glue bundles is not one the tests have seen.
GLUE_PYTHON_MODULES = ("pyarrow==26.0.1",)
GLUE_TIMEOUT_MARGIN_MINUTES = 15
GLUE_LOG_PREFIX = "/aws-glue/jobs/supplychain-${EnvironmentName}"


def glue() -> dict[str, Any]:
    code_objects = sub("arn:${AWS::Partition}:s3:::${DeploymentBucket}/" + CODE_PREFIX + "/*")
    glue_logs = sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws-glue/*")
    logs = allow(
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"], glue_logs
    )
    kms = allow(KMS_USE, arn("DataKey"))
    resources: dict[str, Any] = {
        "GlueDatabase": {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": ref("AWS::AccountId"),
                "DatabaseInput": {
                    "Name": sub("supplychain_${EnvironmentName}_raw"),
                    "Description": "Tables the crawler finds under raw/",
                },
            },
        },
        "GlueSecurityConfiguration": {
            "Type": "AWS::Glue::SecurityConfiguration",
            "Properties": {
                "Name": sub("supplychain-${EnvironmentName}"),
                "EncryptionConfiguration": {
                    "S3Encryptions": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": arn("DataKey")}],
                    "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS", "KmsKeyArn": arn("DataKey")},
                    "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS", "KmsKeyArn": arn("DataKey")},
                },
            },
        },
        "CrawlerRole": role(
            "glue.amazonaws.com",
            [
                policy(
                    "crawl-raw",
                    [
                        allow(["s3:GetObject"], lake_objects("raw/*")),
                        allow(["s3:ListBucket"], LAKE_ARN, **{"StringLike": {"s3:prefix": ["raw/*", "raw"]}}),
                        allow(
                            [
                                "glue:GetDatabase",
                                "glue:GetTable",
                                "glue:GetTables",
                                "glue:CreateTable",
                                "glue:UpdateTable",
                                "glue:BatchGetPartition",
                                "glue:GetPartition",
                                "glue:GetPartitions",
                                "glue:CreatePartition",
                                "glue:BatchCreatePartition",
                                "glue:UpdatePartition",
                                "glue:BatchUpdatePartition",
                            ],
                            [
                                sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"),
                                sub(
                                    "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/${GlueDatabase}"
                                ),
                                sub(
                                    "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${GlueDatabase}/*"
                                ),
                            ],
                        ),
                        logs,
                        kms,
                    ],
                )
            ],
            "Glue crawler: reads raw/, writes the raw catalog database",
        ),
        "RawCrawler": {
            "Type": "AWS::Glue::Crawler",
            "Properties": {
                "Name": sub("supplychain-${EnvironmentName}-raw"),
                "Role": arn("CrawlerRole"),
                "DatabaseName": ref("GlueDatabase"),
                "CrawlerSecurityConfiguration": ref("GlueSecurityConfiguration"),
                "Targets": {"S3Targets": [{"Path": sub("s3://${DataLakeBucket}/raw/")}]},
                # Drops are immutable and land in new date folders: crawl only those.
                "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
                "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
            },
        },
        "GlueJobRole": role(
            "glue.amazonaws.com",
            [
                policy(
                    "ingest",
                    [
                        allow(["s3:GetObject"], [*lake_objects("raw/*"), code_objects]),
                        allow(
                            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                            lake_objects("processed/*", "tmp/glue/*"),
                        ),
                        allow(["s3:ListBucket"], LAKE_ARN),
                        logs,
                        kms,
                        allow(
                            ["cloudwatch:PutMetricData"],
                            "*",
                            **{"StringEquals": {"cloudwatch:namespace": "Glue"}},
                        ),
                    ],
                )
            ],
            "Glue ingestion jobs: read raw/ and the job code, write processed/",
        ),
    }
    for stream in ("output", "error"):
        resources[f"GlueJobs{stream.capitalize()}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": sub(f"{GLUE_LOG_PREFIX}/{stream}"),
                "RetentionInDays": ref("LogRetentionDays"),
                "KmsKeyId": arn("DataKey"),
            },
        }
    for job in [job for wave in INGEST_WAVES for job in wave]:
        step = next(s for s in STEPS if s.ingestion_job == job)
        resources[names.glue_job_key(job)] = {
            "Type": "AWS::Glue::Job",
            "Properties": {
                "Name": sub(names.glue_job_name(ENV, job)),
                "Description": step.description,
                "Role": arn("GlueJobRole"),
                "GlueVersion": ref("GlueVersion"),
                "WorkerType": ref("GlueWorkerType"),
                "NumberOfWorkers": ref("GlueNumberOfWorkers"),
                "Command": {
                    "Name": "glueetl",
                    "PythonVersion": "3",
                    "ScriptLocation": sub(f"s3://${{DeploymentBucket}}/{CODE_PREFIX}/jobs/{job}.py"),
                },
                "DefaultArguments": {
                    "--lake_root": sub("s3://${DataLakeBucket}"),
                    "--extra-py-files": sub(f"s3://${{DeploymentBucket}}/{CODE_PREFIX}/supplychain.zip"),
                    "--additional-python-modules": ",".join(GLUE_PYTHON_MODULES),
                    "--job-bookmark-option": "job-bookmark-enable",
                    "--enable-metrics": "true",
                    "--enable-continuous-cloudwatch-log": "true",
                    # Glue 5.0 writes to <prefix>/output and <prefix>/error: the stack's groups, with a retention
                    # (Glue's default /aws-glue/jobs/* groups keep every log forever).
                    "--custom-logGroup-prefix": sub(GLUE_LOG_PREFIX),
                    "--TempDir": sub("s3://${DataLakeBucket}/tmp/glue/"),
                },
                # One run at a time per source (the publish step swaps partitions); Step Functions does the retries.
                "ExecutionProperty": {"MaxConcurrentRuns": 1},
                "MaxRetries": 0,
                # Longer than the state machine's task timeout: the step times out first (States.Timeout, which it
                # retries, stopping the run); Glue's own limit only ends a run nothing waits for any more.
                "Timeout": step.timeout_seconds // 60 + GLUE_TIMEOUT_MARGIN_MINUTES,
                "SecurityConfiguration": ref("GlueSecurityConfiguration"),
            },
        }
    return resources
