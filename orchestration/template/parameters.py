"""What the template is given (parameters, conditions) and what it gives back (outputs)."""

from __future__ import annotations

from typing import Any

from orchestration.template.cfn import ref


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
        "ImageTag": {"Type": "String", "Default": "0.1.0", "Description": "Pipeline image tag in the ECR repository"},
        "TaskCpu": {"Type": "String", "Default": "2048", "AllowedValues": ["1024", "2048", "4096", "8192"]},
        "TaskMemory": {"Type": "String", "Default": "8192", "Description": "MiB, valid for the chosen TaskCpu"},
        "GlueVersion": {"Type": "String", "Default": "5.0", "AllowedValues": ["4.0", "5.0"]},
        "GlueWorkerType": {"Type": "String", "Default": "G.1X", "AllowedValues": ["G.1X", "G.2X", "G.4X"]},
        "GlueNumberOfWorkers": {"Type": "Number", "Default": 2, "MinValue": 2, "MaxValue": 100},
        "RedshiftHost": {"Type": "String", "Description": "Redshift endpoint host name"},
        "RedshiftPort": {"Type": "Number", "Default": 5439},
        "RedshiftDatabase": {"Type": "String", "Default": "supplychain"},
        "RedshiftUser": {"Type": "String", "Default": "supplychain"},
        "RedshiftCopyRoleArn": {
            "Type": "String",
            "Default": "",
            "Description": "IAM role Redshift assumes for COPY from processed/ (empty: none)",
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
    }


def conditions() -> dict[str, Any]:
    return {
        "HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlertEmail"), ""]}]},
        "HasCopyRole": {"Fn::Not": [{"Fn::Equals": [ref("RedshiftCopyRoleArn"), ""]}]},
    }
