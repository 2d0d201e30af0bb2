"""The KMS key, the data-lake bucket and its access-log bucket."""

from __future__ import annotations

from typing import Any

from orchestration.template.cfn import arn, ref, skip, sub

# Data outlives the stack: removing the stack leaves the key, the buckets and what they hold.
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def storage() -> dict[str, Any]:
    return {
        "DataKey": {
            "Type": "AWS::KMS::Key",
            # Retained with the buckets and the secret it encrypts: deleting the stack must not schedule the
            # deletion of the only key that reads the lake (which survives it).
            **RETAIN,
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
                            "Principal": {"Service": sub("logs.${AWS::Region}.${AWS::URLSuffix}")},
                            "Action": [
                                "kms:Encrypt",
                                "kms:Decrypt",
                                "kms:ReEncrypt*",
                                "kms:GenerateDataKey*",
                                "kms:DescribeKey",
                            ],
                            "Resource": "*",
                            "Condition": {
                                "ArnLike": {
                                    "kms:EncryptionContext:aws:logs:arn": sub(
                                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                                    )
                                }
                            },
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
            **RETAIN,
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
                        {
                            "Id": "expire-access-logs",
                            "Status": "Enabled",
                            "ExpirationInDays": 400,
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                        }
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
            **RETAIN,
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
                            # raw/ is immutable and re-read only for a full refresh: cheaper tiers as it ages, all
                            # readable at once (Glacier Instant Retrieval, not Flexible Retrieval, whose objects a
                            # full refresh could not read without a restore: InvalidObjectState).
                            "Id": "raw-to-colder-storage",
                            "Status": "Enabled",
                            "Prefix": "raw/",
                            "Transitions": [
                                {"StorageClass": "STANDARD_IA", "TransitionInDays": ref("RawInfrequentAccessDays")},
                                {"StorageClass": "GLACIER_IR", "TransitionInDays": ref("RawGlacierDays")},
                            ],
                        },
                        {
                            # A Glue run killed between its write and its publish leaves its staging folder; the
                            # next run of that job deletes it (foundation/lake.py), this catches the rest.
                            "Id": "expire-abandoned-staging",
                            "Status": "Enabled",
                            "Prefix": "processed/_staging/",
                            "ExpirationInDays": 7,
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
