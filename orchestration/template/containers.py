"""The pipeline container: ECR repository, ECS cluster, Fargate task, log group, Redshift secret, roles."""

from __future__ import annotations

import json
from typing import Any

from orchestration import names
from orchestration.template.cfn import (
    COPY_ROLE_ARN,
    KMS_USE,
    LAKE_ARN,
    REDSHIFT_SECRET_KEYS,
    SCRATCH,
    allow,
    arn,
    lake_objects,
    policy,
    ref,
    role,
    sub,
)
from orchestration.template.storage import RETAIN


def container() -> dict[str, Any]:
    secret_arn = ref("RedshiftSecret")
    return {
        "EcrRepository": {
            "Type": "AWS::ECR::Repository",
            "Properties": {
                "RepositoryName": sub("supplychain-${EnvironmentName}-pipeline"),
                "ImageScanningConfiguration": {"ScanOnPush": True},
                "ImageTagMutability": "IMMUTABLE",
                "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": arn("DataKey")},
                "LifecyclePolicy": {
                    "LifecyclePolicyText": json.dumps(
                        {
                            "rules": [
                                {
                                    "rulePriority": 1,
                                    "description": "keep the 30 newest images",
                                    "selection": {
                                        "tagStatus": "any",
                                        "countType": "imageCountMoreThan",
                                        "countNumber": 30,
                                    },
                                    "action": {"type": "expire"},
                                }
                            ]
                        }
                    )
                },
            },
        },
        "EcsCluster": {
            "Type": "AWS::ECS::Cluster",
            "Properties": {
                "ClusterName": sub("supplychain-${EnvironmentName}"),
                "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
            },
        },
        "PipelineLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": sub("/supplychain/${EnvironmentName}/pipeline"),
                "RetentionInDays": ref("LogRetentionDays"),
                "KmsKeyId": arn("DataKey"),
            },
        },
        "RedshiftSecret": {
            "Type": "AWS::SecretsManager::Secret",
            # Kept when the stack goes: it holds a live database credential someone may still need.
            **RETAIN,
            # The password is the existing Redshift user's, given at deploy time (NoEcho): a password generated
            # here would be one no database knows. No rotation here: the cluster lives outside this stack, and
            # rotation needs a function bound to that cluster; configure it where the cluster is managed.
            "Properties": {
                "Name": sub("supplychain/${EnvironmentName}/redshift"),
                "Description": "Redshift connection for dbt and the load step (the user's existing password)",
                "KmsKeyId": ref("DataKey"),
                "SecretString": sub(
                    '{"host": "${RedshiftHost}", "port": "${RedshiftPort}", "dbname": "${RedshiftDatabase}", '
                    '"username": "${RedshiftUser}", "password": "${RedshiftPassword}"}'
                ),
            },
        },
        "RedshiftCopyRole": {
            **role(
                "redshift.amazonaws.com",
                [
                    policy(
                        "copy-from-processed",
                        [
                            allow(["s3:GetObject"], lake_objects("processed/*")),
                            allow(["s3:ListBucket"], LAKE_ARN),
                            # The lake is SSE-KMS: COPY cannot read an object without decrypting its data key.
                            allow(["kms:Decrypt"], arn("DataKey")),
                        ],
                    )
                ],
                "Redshift COPY from the lake's processed/ tables (attach it to the cluster)",
            ),
            "Condition": "CreateCopyRole",
        },
        "TaskExecutionRole": role(
            "ecs-tasks.amazonaws.com",
            [
                policy(
                    "pull-image-read-secret-write-logs",
                    [
                        # GetAuthorizationToken has no resource-level permissions.
                        allow(["ecr:GetAuthorizationToken"], "*"),
                        allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], arn("EcrRepository")),
                        allow(["logs:CreateLogStream", "logs:PutLogEvents"], arn("PipelineLogGroup")),
                        allow(["secretsmanager:GetSecretValue"], secret_arn),
                        allow(["kms:Decrypt"], arn("DataKey")),
                    ],
                )
            ],
            "ECS agent: pulls the pipeline image, injects the Redshift secret, writes the task's logs",
        ),
        "TaskRole": role(
            "ecs-tasks.amazonaws.com",
            [
                policy(
                    "pipeline",
                    [
                        allow(
                            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                            lake_objects("processed/*", "curated/*", "runs/*"),
                        ),
                        allow(["s3:ListBucket"], LAKE_ARN),
                        allow(KMS_USE, arn("DataKey")),
                        allow(
                            ["cloudwatch:PutMetricData"],
                            "*",
                            **{"StringEquals": {"cloudwatch:namespace": names.METRIC_NAMESPACE}},
                        ),
                    ],
                )
            ],
            "Pipeline container: reads and writes the lake, keeps run artifacts, publishes the quarantine rate",
        ),
        names.TASK_DEFINITION: {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": sub("supplychain-${EnvironmentName}-pipeline"),
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": ref("TaskCpu"),
                "Memory": ref("TaskMemory"),
                "ExecutionRoleArn": arn("TaskExecutionRole"),
                "TaskRoleArn": arn("TaskRole"),
                "RuntimePlatform": {"CpuArchitecture": ref("CpuArchitecture"), "OperatingSystemFamily": "LINUX"},
                "Volumes": [{"Name": "scratch"}],
                "ContainerDefinitions": [
                    {
                        "Name": names.CONTAINER_NAME,
                        "Image": sub("${EcrRepository.RepositoryUri}:${ImageTag}"),
                        "Essential": True,
                        "ReadonlyRootFilesystem": True,
                        "MountPoints": [{"SourceVolume": "scratch", "ContainerPath": SCRATCH}],
                        "Environment": [
                            {"Name": "SUPPLYCHAIN_TARGET", "Value": "redshift"},
                            {"Name": "SUPPLYCHAIN_LAKE_ROOT", "Value": sub("s3://${DataLakeBucket}")},
                            {"Name": "SUPPLYCHAIN_ARTIFACT_BUCKET", "Value": ref("DataLakeBucket")},
                            {"Name": "SUPPLYCHAIN_ENVIRONMENT", "Value": ref("EnvironmentName")},
                            {
                                "Name": "SUPPLYCHAIN_REDSHIFT_PROCESSED_URI",
                                "Value": sub("s3://${DataLakeBucket}/processed"),
                            },
                            {"Name": "SUPPLYCHAIN_REDSHIFT_IAM_ROLE", "Value": COPY_ROLE_ARN},
                            # Live feeds: freshness against the wall clock, so feeds that all stop at once fail the
                            # run (the default, the latest landed drop, is for replays and the laptop's sample).
                            {"Name": "SUPPLYCHAIN_FRESHNESS_CLOCK", "Value": "now"},
                            {"Name": "DBT_TARGET_PATH", "Value": f"{SCRATCH}/dbt/target"},
                            {"Name": "DBT_LOG_PATH", "Value": f"{SCRATCH}/dbt/logs"},
                            {"Name": "HOME", "Value": SCRATCH},
                        ],
                        # The profile's SUPPLYCHAIN_REDSHIFT_* variables, from the secret's JSON keys.
                        "Secrets": [
                            {"Name": f"SUPPLYCHAIN_REDSHIFT_{var}", "ValueFrom": sub("${RedshiftSecret}:" + key + "::")}
                            for var, key in REDSHIFT_SECRET_KEYS
                        ],
                        "LogConfiguration": {
                            "LogDriver": "awslogs",
                            "Options": {
                                "awslogs-group": ref("PipelineLogGroup"),
                                "awslogs-region": ref("AWS::Region"),
                                "awslogs-stream-prefix": "step",
                            },
                        },
                    }
                ],
            },
        },
    }
