"""The CloudFormation template for the AWS deployment, generated from the pipeline so the two cannot drift.

`supplychain aws deploy` renders it; the tests lint it (cfn-lint), scan it (checkov) and deploy it to moto.
Where the template departs from a scanner's rule it says why in the resource's Metadata (checkov skip comments).
"""

from __future__ import annotations

import json
from typing import Any

from orchestration import names, state_machine
from orchestration.pipeline import INGEST_WAVES, STEPS, steps_for

ACCOUNT = "${AWS::AccountId}"
REGION = "${AWS::Region}"
ENV = "${EnvironmentName}"
LAKE_ARN = {"Fn::GetAtt": ["DataLakeBucket", "Arn"]}
CODE_PREFIX = "glue"  # in the deployment bucket: glue/jobs/<job>.py and glue/supplychain.zip

REDSHIFT_SECRET_KEYS = (("HOST", "host"), ("PORT", "port"), ("DATABASE", "dbname"), ("USER", "username"),
                        ("PASSWORD", "password"))
# Where the container keeps dbt's scratch files: the root file system is read-only.
SCRATCH = "/tmp"


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def lake_objects(*prefixes: str) -> list[dict[str, Any]]:
    return [{"Fn::Sub": "${DataLakeBucket.Arn}/" + prefix} for prefix in prefixes]


def skip(*reasons: tuple[str, str]) -> dict[str, Any]:
    """Checkov suppressions, each with the reason it does not apply here."""
    return {"checkov": {"skip": [{"id": check, "comment": why} for check, why in reasons]}}


def policy(name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


def allow(actions: list[str], resources: Any, sid: str | None = None, **condition: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


def role(service: str, policies: list[dict[str, Any]], description: str) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": description,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
            },
            "Policies": policies,
        },
    }


KMS_USE = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"]


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


def storage() -> dict[str, Any]:
    return {
        "DataKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": sub("supplychain ${EnvironmentName}: lake, logs, secrets, alerts"),
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersThroughIam",
                            "Effect": "Allow",
                            "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            # The encrypted log groups (pipeline, state machine, Glue's own).
                            "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                            "Effect": "Allow",
                            "Principal": {"Service": sub("logs.${AWS::Region}.amazonaws.com")},
                            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                       "kms:DescribeKey"],
                            "Resource": "*",
                            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": sub(
                                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")}},
                        },
                        {
                            # EventBridge rules and CloudWatch alarms publish to the encrypted SNS topic; the topic
                            # policy limits who may publish.
                            "Sid": "EventBridgeAndAlarmsPublishToTheTopic",
                            "Effect": "Allow",
                            "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                        },
                    ],
                },
            },
        },
        "DataKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": sub("alias/supplychain-${EnvironmentName}"), "TargetKeyId": ref("DataKey")},
        },
        "LogBucket": {
            "Type": "AWS::S3::Bucket",
            "Metadata": skip(
                ("CKV_AWS_18", "This is the access-log bucket: logging it into itself would loop."),
            ),
            # SSE-S3, not KMS: S3 server access logs can only be delivered to an SSE-S3 (AES256) bucket.
            "Properties": {
                "BucketName": sub("supplychain-${EnvironmentName}-logs-${AWS::AccountId}-${AWS::Region}"),
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "PublicAccessBlockConfiguration": _public_access_block(),
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {
                    "Rules": [
                        {"Id": "expire-access-logs", "Status": "Enabled", "ExpirationInDays": 400,
                         "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
                    ]
                },
            },
        },
        "LogBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("LogBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "S3ServerAccessLogs",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": sub("${LogBucket.Arn}/lake/*"),
                            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
                        },
                        _deny_insecure_transport("LogBucket"),
                    ],
                },
            },
        },
        "DataLakeBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": sub("supplychain-${EnvironmentName}-lake-${AWS::AccountId}-${AWS::Region}"),
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": arn("DataKey"),
                            },
                            "BucketKeyEnabled": True,  # one data key per bucket, not per object: fewer KMS calls
                        }
                    ]
                },
                "PublicAccessBlockConfiguration": _public_access_block(),
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LoggingConfiguration": {"DestinationBucketName": ref("LogBucket"), "LogFilePrefix": "lake/"},
                # Object-created events go to EventBridge, where the raw/ rule picks the upload markers.
                "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            # raw/ is immutable and re-read only for a full refresh: cheaper tiers as it ages.
                            "Id": "raw-to-colder-storage",
                            "Status": "Enabled",
                            "Prefix": "raw/",
                            "Transitions": [
                                {"StorageClass": "STANDARD_IA", "TransitionInDays": ref("RawInfrequentAccessDays")},
                                {"StorageClass": "GLACIER", "TransitionInDays": ref("RawGlacierDays")},
                            ],
                        },
                        {
                            # processed/ tables are swapped in place on every run: old versions pile up.
                            "Id": "expire-old-versions",
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {"NoncurrentDays": ref("NoncurrentVersionDays")},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        },
                    ]
                },
            },
        },
        "DataLakeBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("DataLakeBucket"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [_deny_insecure_transport("DataLakeBucket")]},
            },
        },
    }


def _public_access_block() -> dict[str, bool]:
    return {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}


def _deny_insecure_transport(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn(bucket), {"Fn::Sub": "${" + bucket + ".Arn}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


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
                            ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
                             "glue:UpdateTable", "glue:BatchGetPartition", "glue:GetPartition", "glue:GetPartitions",
                             "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition",
                             "glue:BatchUpdatePartition"],
                            [
                                sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"),
                                sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/${GlueDatabase}"),
                                sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${GlueDatabase}/*"),
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
                            ["cloudwatch:PutMetricData"], "*",
                            **{"StringEquals": {"cloudwatch:namespace": "Glue"}},
                        ),
                    ],
                )
            ],
            "Glue ingestion jobs: read raw/ and the job code, write processed/",
        ),
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
                    "--job-bookmark-option": "job-bookmark-enable",
                    "--enable-metrics": "true",
                    "--enable-continuous-cloudwatch-log": "true",
                    "--TempDir": sub("s3://${DataLakeBucket}/tmp/glue/"),
                },
                # One run at a time per source (the publish step swaps partitions); Step Functions does the retries.
                "ExecutionProperty": {"MaxConcurrentRuns": 1},
                "MaxRetries": 0,
                "Timeout": step.timeout_seconds // 60,
                "SecurityConfiguration": ref("GlueSecurityConfiguration"),
            },
        }
    return resources


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
                                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                  "countNumber": 30},
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
            # No rotation here: the Redshift cluster lives outside this stack, and rotation needs a function bound
            # to that cluster; configure it where the cluster is managed.
            "Properties": {
                "Name": sub("supplychain/${EnvironmentName}/redshift"),
                "Description": "Redshift connection for dbt and the load step; the password is generated here",
                "KmsKeyId": ref("DataKey"),
                "GenerateSecretString": {
                    "SecretStringTemplate": sub(
                        '{"host": "${RedshiftHost}", "port": "${RedshiftPort}", "dbname": "${RedshiftDatabase}", '
                        '"username": "${RedshiftUser}"}'
                    ),
                    "GenerateStringKey": "password",
                    "PasswordLength": 32,
                    "ExcludeCharacters": "\"'@/\\ ",
                },
            },
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
                            ["cloudwatch:PutMetricData"], "*",
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
                "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
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
                            {"Name": "SUPPLYCHAIN_REDSHIFT_PROCESSED_URI", "Value": sub("s3://${DataLakeBucket}/processed")},
                            {
                                "Fn::If": [
                                    "HasCopyRole",
                                    {"Name": "SUPPLYCHAIN_REDSHIFT_IAM_ROLE", "Value": ref("RedshiftCopyRoleArn")},
                                    ref("AWS::NoValue"),
                                ]
                            },
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


def workflow(definition: dict[str, Any] | None) -> dict[str, Any]:
    text = json.dumps(definition or state_machine.definition(), indent=1)
    glue_job_arns = [
        sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:job/${" + names.glue_job_key(job) + "}")
        for wave in INGEST_WAVES
        for job in wave
    ]
    substitutions = {
        names.BUCKET: ref("DataLakeBucket"),
        names.CRAWLER: ref("RawCrawler"),
        names.CLUSTER: arn("EcsCluster"),
        names.TASK_DEFINITION: ref(names.TASK_DEFINITION),
        names.ALERT_TOPIC: ref("AlertTopic"),
        names.SUBNETS: {"Fn::Join": [",", ref("SubnetIds")]},
        names.SECURITY_GROUPS: {"Fn::Join": [",", ref("SecurityGroupIds")]},
        **{names.glue_job_key(job): ref(names.glue_job_key(job)) for wave in INGEST_WAVES for job in wave},
    }
    return {
        "AlertTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": sub("supplychain-${EnvironmentName}-pipeline"),
                "DisplayName": "supplychain pipeline",
                "KmsMasterKeyId": ref("DataKey"),
            },
        },
        "AlertTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [ref("AlertTopic")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EventBridgeAndAlarmsPublish",
                            "Effect": "Allow",
                            "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
                            "Action": "sns:Publish",
                            "Resource": ref("AlertTopic"),
                            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
                        }
                    ],
                },
            },
        },
        "AlertEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlertEmail",
            "Properties": {"TopicArn": ref("AlertTopic"), "Protocol": "email", "Endpoint": ref("AlertEmail")},
        },
        "StateMachineLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": sub("/aws/vendedlogs/states/supplychain-${EnvironmentName}-pipeline"),
                "RetentionInDays": ref("LogRetentionDays"),
                "KmsKeyId": arn("DataKey"),
            },
        },
        "StateMachineRole": role(
            "states.amazonaws.com",
            [
                policy(
                    "run-pipeline",
                    [
                        allow(
                            ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
                            glue_job_arns,
                        ),
                        allow(
                            ["glue:StartCrawler", "glue:GetCrawler"],
                            sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:crawler/${RawCrawler}"),
                        ),
                        allow(
                            ["ecs:RunTask"],
                            sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/"
                                "supplychain-${EnvironmentName}-pipeline:*"),
                            **{"ArnEquals": {"ecs:cluster": arn("EcsCluster")}},
                        ),
                        allow(
                            ["ecs:StopTask", "ecs:DescribeTasks"],
                            sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${EcsCluster}/*"),
                        ),
                        allow(
                            ["iam:PassRole"],
                            [arn("TaskRole"), arn("TaskExecutionRole")],
                            **{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                        ),
                        # runTask.sync learns that a task stopped from this managed EventBridge rule.
                        allow(
                            ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                            sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/"
                                "StepFunctionsGetEventsForECSTaskRule"),
                        ),
                        allow(["sns:Publish"], ref("AlertTopic")),
                        allow(["kms:GenerateDataKey", "kms:Decrypt"], arn("DataKey")),
                        # Log delivery and X-Ray have no resource-level permissions.
                        allow(
                            ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                             "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                             "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
                            "*",
                        ),
                        allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                               "xray:GetSamplingTargets"], "*"),
                    ],
                )
            ],
            "Step Functions: runs the Glue crawler and jobs and the ECS steps, publishes alerts",
        ),
        "PipelineStateMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": sub("supplychain-${EnvironmentName}-pipeline"),
                "StateMachineType": "STANDARD",
                "RoleArn": arn("StateMachineRole"),
                "DefinitionString": text,
                "DefinitionSubstitutions": substitutions,
                "LoggingConfiguration": {
                    "Level": "ERROR",
                    "IncludeExecutionData": False,
                    "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": arn("StateMachineLogGroup")}}],
                },
                "TracingConfiguration": {"Enabled": True},
            },
        },
        "EventsRole": role(
            "events.amazonaws.com",
            [policy("start-pipeline", [allow(["states:StartExecution"], ref("PipelineStateMachine"))])],
            "EventBridge: starts the pipeline on schedule and when an upload completes",
        ),
        "DailyScheduleRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "The daily pipeline run",
                "ScheduleExpression": ref("ScheduleExpression"),
                "State": "ENABLED",
                "Targets": [_pipeline_target("daily")],
            },
        },
        "RawUploadRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                # One run per completed upload, not per file: `supplychain aws upload-data` writes a marker under
                # raw/_uploads/ after the drops, and only that marker starts the pipeline.
                "Description": "A new upload under raw/ starts the pipeline",
                "State": "ENABLED",
                "EventPattern": {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": [ref("DataLakeBucket")]},
                        "object": {"key": [{"prefix": "raw/_uploads/"}]},
                    },
                },
                "Targets": [_pipeline_target("upload")],
            },
        },
        "CrawlerFailedRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "A failed crawl of raw/ alerts (the pipeline goes on: ingestion reads raw/ itself)",
                "State": "ENABLED",
                "EventPattern": {
                    "source": ["aws.glue"],
                    "detail-type": ["Glue Crawler State Change"],
                    "detail": {"crawlerName": [ref("RawCrawler")], "state": ["Failed"]},
                },
                "Targets": [{"Id": "alert", "Arn": ref("AlertTopic")}],
            },
        },
        "ExecutionsFailedAlarm": _state_machine_alarm("ExecutionsFailed", "A pipeline execution failed"),
        "ExecutionsTimedOutAlarm": _state_machine_alarm("ExecutionsTimedOut", "A pipeline execution timed out"),
        "QuarantineRateAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": "A source quarantined more of its records than the threshold (published after "
                "ingestion by the pipeline's load step; see README, AWS deployment)",
                "Namespace": names.METRIC_NAMESPACE,
                "MetricName": names.QUARANTINE_METRIC,
                "Dimensions": [{"Name": "Environment", "Value": ref("EnvironmentName")}],
                "Statistic": "Maximum",
                "Period": 3600,
                "EvaluationPeriods": 1,
                "Threshold": ref("QuarantineRateThreshold"),
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [ref("AlertTopic")],
            },
        },
    }


def _pipeline_target(trigger: str) -> dict[str, Any]:
    return {
        "Id": "pipeline",
        "Arn": ref("PipelineStateMachine"),
        "RoleArn": arn("EventsRole"),
        # The run id is the event id; the run date is the event time (the state machine keeps the date part).
        "InputTransformer": {
            "InputPathsMap": {"id": "$.id", "time": "$.time"},
            "InputTemplate": '{"run_id": "' + trigger + '-<id>", "run_date": "<time>"}',
        },
    }


def _state_machine_alarm(metric: str, description: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": "AWS/States",
            "MetricName": metric,
            "Dimensions": [{"Name": "StateMachineArn", "Value": ref("PipelineStateMachine")}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref("AlertTopic")],
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


def template(definition: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole template; `definition` replaces the generated state machine (the moto tests pass their variant)."""
    aws_steps = [s.name for s in steps_for("aws")]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "supplychain pipeline: data lake, Glue ingestion, dbt/forecast/optimise on Fargate, "
        "Step Functions (" + ", ".join(aws_steps) + ")",
        "Parameters": parameters(),
        "Conditions": {
            "HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlertEmail"), ""]}]},
            "HasCopyRole": {"Fn::Not": [{"Fn::Equals": [ref("RedshiftCopyRoleArn"), ""]}]},
        },
        "Resources": {**storage(), **glue(), **container(), **workflow(definition)},
        "Outputs": outputs(),
    }


def template_json(definition: dict[str, Any] | None = None) -> str:
    return json.dumps(template(definition), indent=1)
