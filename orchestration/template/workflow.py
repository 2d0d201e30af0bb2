"""The state machine and what surrounds it: SNS alerts, EventBridge triggers, CloudWatch alarms, roles."""

from __future__ import annotations

import json
from typing import Any

from orchestration import names, state_machine
from orchestration.pipeline import INGEST_WAVES
from orchestration.template.cfn import allow, arn, policy, ref, role, sub


def in_stack_partition(text: str) -> dict[str, str]:
    """The definition as an Fn::Sub that puts every service integration's ARN in the stack's own partition (aws,
    aws-cn, aws-us-gov); the `${Name}` placeholders are escaped (`${!Name}`) so that the Fn::Sub hands them on
    untouched to DefinitionSubstitutions."""
    escaped = text.replace("${", "${!")
    return {"Fn::Sub": escaped.replace('"arn:aws:states:::', '"arn:${AWS::Partition}:states:::')}


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
                            sub(
                                "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/"
                                "supplychain-${EnvironmentName}-pipeline:*"
                            ),
                            **{"ArnEquals": {"ecs:cluster": arn("EcsCluster")}},
                        ),
                        # PropagateTags copies the task definition's tags to the task: RunTask then needs
                        # ecs:TagResource on the task it creates, or ECS refuses to start it.
                        allow(
                            ["ecs:TagResource"],
                            sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${EcsCluster}/*"),
                            **{"StringEquals": {"ecs:CreateAction": "RunTask"}},
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
                            sub(
                                "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/"
                                "StepFunctionsGetEventsForECSTaskRule"
                            ),
                        ),
                        # The queue at the start: which executions of this state machine are still running.
                        allow(
                            ["states:ListExecutions"],
                            sub(
                                "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                                "supplychain-${EnvironmentName}-pipeline"
                            ),
                        ),
                        allow(["sns:Publish"], ref("AlertTopic")),
                        allow(["kms:GenerateDataKey", "kms:Decrypt"], arn("DataKey")),
                        # Log delivery and X-Ray have no resource-level permissions.
                        allow(
                            [
                                "logs:CreateLogDelivery",
                                "logs:GetLogDelivery",
                                "logs:UpdateLogDelivery",
                                "logs:DeleteLogDelivery",
                                "logs:ListLogDeliveries",
                                "logs:PutResourcePolicy",
                                "logs:DescribeResourcePolicies",
                                "logs:DescribeLogGroups",
                            ],
                            "*",
                        ),
                        allow(
                            [
                                "xray:PutTraceSegments",
                                "xray:PutTelemetryRecords",
                                "xray:GetSamplingRules",
                                "xray:GetSamplingTargets",
                            ],
                            "*",
                        ),
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
                "DefinitionString": in_stack_partition(text),
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
                "State": ref("PipelineTriggers"),
                "Targets": [_pipeline_target("daily")],
            },
        },
        "RawUploadRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                # One run per completed upload, not per file: `supplychain aws upload-data` writes a marker under
                # raw/_uploads/ after the drops, and only that marker starts the pipeline.
                "Description": "A new upload under raw/ starts the pipeline",
                "State": ref("PipelineTriggers"),
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
