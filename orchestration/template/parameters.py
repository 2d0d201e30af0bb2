"""What the template is given (parameters, conditions) and what it gives back (outputs)."""

from __future__ import annotations

from typing import Any

from orchestration.template.cfn import COPY_ROLE_ARN, ref

# Fargate's Linux task sizes: cpu units -> the memory values (MiB) allowed with it (AWS ECS developer guide,
# "Task CPU and memory", as published in November 2026).
FARGATE_MEMORY: dict[str, tuple[str, ...]] = {
    "256": ("512", "1024", "2048"),
    "512": tuple(str(m) for m in range(1024, 4096 + 1, 1024)),
    "1024": tuple(str(m) for m in range(2048, 8192 + 1, 1024)),
    "2048": tuple(str(m) for m in range(4096, 16384 + 1, 1024)),
    "4096": tuple(str(m) for m in range(8192, 30720 + 1, 1024)),
    "8192": tuple(str(m) for m in range(16384, 61440 + 1, 4096)),
    "16384": tuple(str(m) for m in range(32768, 122880 + 1, 8192)),
}


def parameters() -> dict[str, Any]:
    return {
        "EnvironmentName": {
            "Type": "String",
            "Default": "dev",
            "AllowedPattern": "^[a-z][a-z0-9]{0,11}$",
            "Description": "Short lowercase name in every resource name (dev, prod, ...)",
        },
        "DeploymentBucket": {
            "Type": "String",
            "Description": "Bucket `supplychain aws bootstrap` created: Glue scripts and the ingestion package",
        },
        "ScheduleExpression": {
            "Type": "String",
            "Default": "cron(0 5 * * ? *)",
            "Description": "When the daily run starts (EventBridge schedule expression, UTC)",
        },
        "SubnetIds": {"Type": "List<AWS::EC2::Subnet::Id>", "Description": "Private subnets for the Fargate tasks"},
        "SecurityGroupIds": {
            "Type": "List<AWS::EC2::SecurityGroup::Id>",
            "Description": "Security groups for the Fargate tasks (egress to Redshift, S3 and ECR)",
        },
        "VpcId": {
            "Type": "String",
            "Default": "",
            "Description": "The subnets' VPC, to create VPC endpoints for ECR, S3, Logs, Secrets Manager and "
            "CloudWatch (empty: the subnets reach them through a NAT gateway)",
        },
        "PrivateRouteTableIds": {
            "Type": "CommaDelimitedList",
            "Default": "",
            "Description": "The subnets' route tables, for the S3 gateway endpoint (with VpcId)",
        },
        "ImageTag": {"Type": "String", "Default": "0.1.0", "Description": "Pipeline image tag in the ECR repository"},
        "PipelineTriggers": {
            "Type": "String",
            "Default": "DISABLED",
            "AllowedValues": ["DISABLED", "ENABLED"],
            "Description": "The daily schedule and the upload rule: DISABLED until the image is pushed and the COPY "
            "role attached (README, first deployment), so no scheduled run fails before the pipeline can run",
        },
        "TaskCpu": {"Type": "String", "Default": "2048", "AllowedValues": list(FARGATE_MEMORY)},
        "TaskMemory": {
            "Type": "String",
            "Default": "8192",
            "AllowedValues": sorted({m for ms in FARGATE_MEMORY.values() for m in ms}, key=int),
            "Description": "MiB; the Rules section admits only the pairs Fargate accepts for the chosen TaskCpu",
        },
        "CpuArchitecture": {
            "Type": "String",
            "Default": "X86_64",
            "AllowedValues": ["X86_64", "ARM64"],
            "Description": "The pipeline image's platform: build it with --platform linux/amd64 or linux/arm64",
        },
        # 4.0 runs Spark 3.3, which lacks functions the rules use (nullif, try_to_timestamp); the ingestion suite
        # runs under 5.0's Spark (3.5.4) in CI.
        "GlueVersion": {"Type": "String", "Default": "5.0", "AllowedValues": ["5.0"]},
        "GlueWorkerType": {"Type": "String", "Default": "G.1X", "AllowedValues": ["G.1X", "G.2X", "G.4X"]},
        "GlueNumberOfWorkers": {"Type": "Number", "Default": 2, "MinValue": 2, "MaxValue": 100},
        "RedshiftHost": {"Type": "String", "Description": "Redshift endpoint host name"},
        "RedshiftPort": {"Type": "Number", "Default": 5439},
        "RedshiftDatabase": {"Type": "String", "Default": "supplychain"},
        "RedshiftUser": {"Type": "String", "Default": "supplychain"},
        "RedshiftPassword": {
            "Type": "String",
            "NoEcho": True,
            # Redshift's rule: 8 to 64 printable ASCII characters, none of ' " / \ @ or space.
            "AllowedPattern": "^[!#-&(-.0-?A-\\[\\]-~]{8,64}$",
            "Description": "The existing Redshift user's password, kept in the stack's secret (never shown)",
        },
        "RedshiftCopyRoleArn": {
            "Type": "String",
            "Default": "",
            "Description": "IAM role Redshift assumes for COPY from processed/ (empty: the stack creates one; "
            "attach it to the cluster, see README)",
        },
        "AlertEmail": {"Type": "String", "Default": "", "Description": "Subscribed to alerts when set"},
        "QuarantineRateThreshold": {
            "Type": "Number",
            "Default": 0.02,
            "Description": "Alarm when a source quarantines more than this share (the quality gate fails at 0.05)",
        },
        "RawInfrequentAccessDays": {"Type": "Number", "Default": 30, "MinValue": 30},
        "RawGlacierDays": {"Type": "Number", "Default": 180, "MinValue": 90},
        "NoncurrentVersionDays": {"Type": "Number", "Default": 90, "MinValue": 1},
        "LogRetentionDays": {
            "Type": "Number",
            "Default": 365,
            "AllowedValues": [30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653],
        },
    }


def outputs() -> dict[str, Any]:
    return {
        "DataLakeBucketName": {"Value": ref("DataLakeBucket")},
        "StateMachineArn": {"Value": ref("PipelineStateMachine")},
        "AlertTopicArn": {"Value": ref("AlertTopic")},
        "EcrRepositoryUri": {"Value": {"Fn::GetAtt": ["EcrRepository", "RepositoryUri"]}},
        "EcsClusterName": {"Value": ref("EcsCluster")},
        "GlueDatabaseName": {"Value": ref("GlueDatabase")},
        "RedshiftCopyRoleArnUsed": {
            "Description": "Attach this role to the Redshift cluster (aws redshift modify-cluster-iam-roles)",
            "Value": COPY_ROLE_ARN,
        },
    }


def conditions() -> dict[str, Any]:
    return {
        "HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlertEmail"), ""]}]},
        "HasCopyRole": {"Fn::Not": [{"Fn::Equals": [ref("RedshiftCopyRoleArn"), ""]}]},
        "CreateCopyRole": {"Fn::Equals": [ref("RedshiftCopyRoleArn"), ""]},
        "CreateVpcEndpoints": {"Fn::Not": [{"Fn::Equals": [ref("VpcId"), ""]}]},
    }


def rules() -> dict[str, Any]:
    """Fargate accepts only certain cpu/memory pairs, and the S3 gateway endpoint needs the route tables: a wrong
    value fails before any resource is created."""
    return {
        "RouteTablesWithVpc": {
            "RuleCondition": {"Fn::Not": [{"Fn::Equals": [ref("VpcId"), ""]}]},
            "Assertions": [
                {
                    "Assert": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", ref("PrivateRouteTableIds")]}, ""]}]},
                    "AssertDescription": "With VpcId, PrivateRouteTableIds must name the subnets' route tables "
                    "(the S3 gateway endpoint is attached to them)",
                }
            ],
        },
        **_fargate_rules(),
    }


def _fargate_rules() -> dict[str, Any]:
    return {
        f"FargateMemoryFor{cpu}Cpu": {
            "RuleCondition": {"Fn::Equals": [ref("TaskCpu"), cpu]},
            "Assertions": [
                {
                    "Assert": {"Fn::Contains": [list(memory), ref("TaskMemory")]},
                    "AssertDescription": f"With TaskCpu {cpu}, TaskMemory must be one of {', '.join(memory)} (MiB)",
                }
            ],
        }
        for cpu, memory in FARGATE_MEMORY.items()
    }
