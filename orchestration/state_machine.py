"""The Step Functions definition (Amazon States Language), generated from the pipeline definition.

Shape: prepare the run input -> start the raw crawler and poll it until it is READY -> each wave of steps (a
Parallel state when a wave holds several) -> a run summary published to SNS -> Succeed. Every Task has a timeout
and retries transient infrastructure errors with backoff; a step marked retryable also gets one retry of its
time-out. A step's own failure (States.TaskFailed: a Glue job run that failed, a container that exited non-zero) is
never retried: the job or the container has given its verdict. Any failure is caught, recorded with the step's
name, published to SNS with its cause, and ends in Fail.

AWS resources appear only as `${Placeholder}`s (orchestration.names) that the template fills through
DefinitionSubstitutions. `moto_definition` keeps the same control flow but swaps the Glue `.sync` and ECS
`.sync` tasks (which moto cannot run) for integrations moto does run, so the tests exercise it for real, the
States.TaskFailed of a container exiting non-zero included.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from orchestration import names
from orchestration.pipeline import STEPS, Platform, Step, steps_for, waves

FAILURE = "Notify failure"
FAILED = "Pipeline failed"
SUCCEEDED = "Pipeline succeeded"
PREPARE = "Prepare run"
# One execution at a time: a run started while another is running (the schedule and an upload, or two uploads)
# waits until every earlier one has finished, rather than colliding with it on the Glue jobs' one-run limit.
QUEUE_LIST, QUEUE_CHECK, QUEUE_WAIT = "Earlier runs: list", "Earlier runs: any?", "Earlier runs: wait"
SUMMARY = "Summarise run"
NOTIFY_SUCCESS = "Notify success"

# Failures that mean the work never started or AWS was briefly unavailable: always safe to retry.
GLUE_TRANSIENT = (
    "Glue.ConcurrentRunsExceededException",
    "Glue.ThrottlingException",
    "Glue.InternalServiceException",
    "Glue.OperationTimeoutException",
)
ECS_TRANSIENT = ("ECS.AmazonECSException", "ECS.ServerException")
# A step's time-out, retried only for steps that are idempotent (Step.retryable). Not States.TaskFailed: on AWS
# `ecs:runTask.sync` raises it when the container exits non-zero and `glue:startJobRun.sync` when the job run fails,
# and running a failing dbt build, freshness check or quality gate again gives the same answer an hour later.
STEP_RETRY = ("States.Timeout",)

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Timing:
    crawler_poll_seconds: int = 60
    transient_retry_seconds: int = 60
    transient_attempts: int = 3
    step_retry_seconds: int = 120
    step_attempts: int = 1
    backoff_rate: float = 2.0
    queue_wait_seconds: int = 300


PRODUCTION = Timing()
# The moto variant: the same retries, seconds apart instead of minutes.
QUICK = Timing(
    crawler_poll_seconds=1, transient_retry_seconds=1, step_retry_seconds=1, backoff_rate=1.0, queue_wait_seconds=1
)


class Integrations:
    """How a Glue job or ECS step is called: the real `.sync` integrations."""

    def running_executions(self) -> dict[str, Any]:
        """The oldest RUNNING execution of this state machine, as a one-item list in `oldest` (newest come first)."""
        return {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sfn:listExecutions",
            "Parameters": {"StateMachineArn.$": "$$.StateMachine.Id", "StatusFilter": "RUNNING", "MaxResults": 1000},
            "ResultSelector": {"oldest.$": "$.Executions[-1:].ExecutionArn"},
            "TimeoutSeconds": 60,
        }

    def glue_job(self, step: Step) -> dict[str, Any]:
        return {
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {
                "JobName": _placeholder(names.glue_job_key(step.ingestion_job)),
                "Arguments": {"--run_date.$": "$.run_date"},
            },
        }

    def ecs_task(self, step: Step) -> dict[str, Any]:
        return {
            "Resource": "arn:aws:states:::ecs:runTask.sync",
            "Parameters": {
                "LaunchType": "FARGATE",
                "Cluster": _placeholder(names.CLUSTER),
                "TaskDefinition": _placeholder(names.TASK_DEFINITION),
                "PropagateTags": "TASK_DEFINITION",
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {
                        "Subnets.$": "$.network.subnets",
                        "SecurityGroups.$": "$.network.security_groups",
                        "AssignPublicIp": "DISABLED",
                    }
                },
                "Overrides": {
                    "ContainerOverrides": [
                        {
                            "Name": names.CONTAINER_NAME,
                            "Command": list(step.command),
                            "Environment": [
                                {"Name": "SUPPLYCHAIN_RUN_ID", "Value.$": "$.run_id"},
                                {"Name": "SUPPLYCHAIN_RUN_DATE", "Value.$": "$.run_date"},
                                {"Name": "SUPPLYCHAIN_PIPELINE_STEP", "Value": step.name},
                            ],
                        }
                    ]
                },
            },
            # runTask.sync fails the step (States.TaskFailed, the task's description as the cause) when the
            # container exits non-zero; a success keeps the container, whose exit code the next state checks still.
            "ResultSelector": {"container.$": "$.Containers[0]", "task_arn.$": "$.TaskArn"},
            "ResultPath": "$.ecs",
        }


class MotoIntegrations(Integrations):
    """Integrations moto executes: Glue request-response (the job run starts, nobody waits) and an SQS message
    in place of each ECS task, carrying the command the container would have run. A step given a non-zero code in
    `exit_codes` sends its message with a task token and waits: the stand-in container answers SendTaskFailure
    with States.TaskFailed, as `ecs:runTask.sync` fails on AWS when the container exits non-zero."""

    def __init__(self, exit_codes: dict[str, int] | None = None):
        self.exit_codes = exit_codes or {}

    def running_executions(self) -> dict[str, Any]:
        # moto's executor has no aws-sdk:sfn integration: this execution is the only one running.
        return {"Type": "Pass", "Parameters": {"oldest.$": "States.Array($.execution)"}}

    def glue_job(self, step: Step) -> dict[str, Any]:
        task = super().glue_job(step)
        return {**task, "Resource": "arn:aws:states:::glue:startJobRun"}

    def ecs_task(self, step: Step) -> dict[str, Any]:
        exit_code = self.exit_codes.get(step.name, 0)
        message = {"step": step.name, "command": list(step.command), "run_id.$": "$.run_id"}
        if exit_code:
            # The step waits for the stand-in container (the test) to answer its task token with SendTaskFailure,
            # whose error is States.TaskFailed and whose cause is the stopped task: what runTask.sync reports.
            return {
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": _placeholder(names.ECS_STAND_IN_QUEUE),
                    "MessageBody": {**message, "exit_code": exit_code, "task_token.$": "$$.Task.Token"},
                },
                "ResultPath": "$.ecs",
            }
        return {
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": _placeholder(names.ECS_STAND_IN_QUEUE), "MessageBody": message},
            "ResultSelector": {
                "container": {"Name": names.CONTAINER_NAME, "ExitCode": exit_code},
                "task_arn.$": "$.MessageId",
            },
            "ResultPath": "$.ecs",
        }


def definition(integrations: Integrations | None = None, timing: Timing = PRODUCTION) -> dict[str, Any]:
    """The state machine for the AWS steps of the pipeline, as a dict ready for json.dumps."""
    return _Builder(integrations or Integrations(), timing).build(steps_for("aws", STEPS))


def definition_json(integrations: Integrations | None = None, timing: Timing = PRODUCTION) -> str:
    return json.dumps(definition(integrations, timing), indent=2)


def moto_definition(exit_codes: dict[str, int] | None = None) -> dict[str, Any]:
    return definition(MotoIntegrations(exit_codes), QUICK)


def placeholders(text: str) -> set[str]:
    """The `${Name}` placeholders a definition uses."""
    return set(PLACEHOLDER.findall(text))


def substitute(text: str, values: dict[str, str]) -> str:
    """Fill the placeholders as CloudFormation's DefinitionSubstitutions would; a missing value is an error."""
    missing = placeholders(text) - set(values)
    if missing:
        raise KeyError(f"no value for placeholder(s) {', '.join(sorted(missing))}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _placeholder(name: str) -> str:
    return "${" + name + "}"


class _Builder:
    def __init__(self, integrations: Integrations, timing: Timing):
        self.integrations = integrations
        self.timing = timing
        self.states: dict[str, Any] = {}
        self.recorders: dict[str, Any] = {}  # "<state> failed" passes, listed after the states they serve

    def build(self, steps: tuple[Step, ...]) -> dict[str, Any]:
        groups = waves(steps)
        entries = [self._entry_name(group, index) for index, group in enumerate(groups)]
        self.states[PREPARE] = {
            "Type": "Pass",
            "Comment": "Normalise the input: run_date may be a date or an EventBridge timestamp.",
            "Parameters": {
                "run_id.$": "$.run_id",
                "run_date.$": "States.ArrayGetItem(States.StringSplit($.run_date, 'T'), 0)",
                "network": {
                    "subnets.$": f"States.StringSplit('{_placeholder(names.SUBNETS)}', ',')",
                    "security_groups.$": f"States.StringSplit('{_placeholder(names.SECURITY_GROUPS)}', ',')",
                },
                "execution.$": "$$.Execution.Id",
            },
            "Next": QUEUE_LIST,
        }
        self._add_queue(entries[0])
        for index, group in enumerate(groups):
            following = entries[index + 1] if index + 1 < len(groups) else SUMMARY
            if len(group) == 1:
                self._add_step(group[0], following)
            else:
                self._add_parallel(entries[index], group, following)
        self.states.update(self.recorders)
        self._add_endings(steps)
        return {
            "Comment": "supplychain pipeline, generated from orchestration/pipeline.py; do not edit by hand.",
            "StartAt": PREPARE,
            "TimeoutSeconds": sum(max(s.timeout_seconds for s in group) for group in groups) + 3600,
            "States": self.states,
        }

    @staticmethod
    def _entry_name(group: tuple[Step, ...], index: int) -> str:
        return group[0].name if len(group) == 1 else f"Parallel group {index}"

    def _add_step(self, step: Step, following: str) -> None:
        if step.platform is Platform.GLUE_CRAWLER:
            self._add_crawler(step, following)
            return
        if step.platform is not Platform.ECS_TASK:
            self.states[step.name] = {**self._task(step), "Next": following, "Catch": self._catch(step.name)}
            return
        check = f"{step.name}: exit code?"
        self.states[step.name] = {**self._task(step), "Next": check, "Catch": self._catch(step.name)}
        self._add_exit_code_check(step, check, following)

    def _add_exit_code_check(self, step: Step, check: str, following: str) -> None:
        """A stopped task whose container did not exit 0 (or never ran) fails the step. On AWS a non-zero exit
        already failed the task with States.TaskFailed: this guards a task that stopped with no exit code."""
        failed = f"{step.name}: container failed"
        exit_code = "$.ecs.container.ExitCode"
        self.states[check] = {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": exit_code, "IsPresent": True},
                        {"Variable": exit_code, "NumericEquals": 0},
                    ],
                    "Next": following,
                }
            ],
            "Default": failed,
        }
        self.states[failed] = {
            "Type": "Pass",
            "Parameters": {"Error": "ContainerFailed", "Cause.$": "States.JsonToString($.ecs)"},
            "ResultPath": "$.error",
            "Next": f"{step.name} failed",
        }

    def _add_parallel(self, name: str, group: tuple[Step, ...], following: str) -> None:
        # Branch tasks cannot catch to states outside their branch: the Parallel state catches for them, and the
        # cause it reports carries the failing branch's error (the Glue job name and run id included).
        self.states[name] = {
            "Type": "Parallel",
            "Comment": "Independent steps: " + ", ".join(s.name for s in group),
            "Branches": [{"StartAt": s.name, "States": {s.name: {**self._task(s), "End": True}}} for s in group],
            "ResultPath": None,
            "Next": following,
            "Catch": self._catch(name),
        }

    def _task(self, step: Step) -> dict[str, Any]:
        if step.platform is Platform.GLUE_JOB:
            call, transient = self.integrations.glue_job(step), GLUE_TRANSIENT
        elif step.platform is Platform.ECS_TASK:
            call, transient = self.integrations.ecs_task(step), ECS_TRANSIENT
        else:
            raise ValueError(f"step {step.name}: no AWS task for platform {step.platform.value}")
        retry = [self._retry(transient, self.timing.transient_retry_seconds, self.timing.transient_attempts)]
        if step.retryable:
            retry.append(self._retry(STEP_RETRY, self.timing.step_retry_seconds, self.timing.step_attempts))
        return {
            "Type": "Task",
            "Comment": step.description,
            "ResultPath": None,  # the step's input passes on unchanged unless the integration keeps a result
            **call,
            "TimeoutSeconds": step.timeout_seconds,
            "Retry": retry,
        }

    def _add_crawler(self, step: Step, following: str) -> None:
        """Start the crawler, then poll it until READY; the step's timeout bounds the polls, not one call."""
        wait, poll, check = f"{step.name}: wait", f"{step.name}: poll", f"{step.name}: finished?"
        running, count, timed_out = f"{step.name}: already running", f"{step.name}: count", f"{step.name}: too long"
        crawler = {"Name": _placeholder(names.CRAWLER)}
        retry = [self._retry(("Glue.ThrottlingException", "Glue.OperationTimeoutException"), 30, 3)]
        max_polls = -(-step.timeout_seconds // self.timing.crawler_poll_seconds)
        self.states[step.name] = {
            "Type": "Task",
            "Comment": step.description,
            "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
            "Parameters": crawler,
            "TimeoutSeconds": 60,
            "ResultSelector": {"polls": 0},
            "ResultPath": "$.crawl",
            "Retry": retry,
            "Catch": [
                {"ErrorEquals": ["Glue.CrawlerRunningException"], "ResultPath": None, "Next": running},
                *self._catch(step.name),
            ],
            "Next": wait,
        }
        # Already running (an S3 event or a schedule started it): wait for that crawl instead of failing.
        self.states[running] = {"Type": "Pass", "Result": {"polls": 0}, "ResultPath": "$.crawl", "Next": wait}
        self.states[wait] = {"Type": "Wait", "Seconds": self.timing.crawler_poll_seconds, "Next": count}
        self.states[count] = {
            "Type": "Pass",
            "Parameters": {"polls.$": "States.MathAdd($.crawl.polls, 1)"},
            "ResultPath": "$.crawl",
            "Next": poll,
        }
        self.states[poll] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:glue:getCrawler",
            "Parameters": crawler,
            "TimeoutSeconds": 60,
            "ResultSelector": {"State.$": "$.Crawler.State"},
            "ResultPath": "$.crawl.crawler",
            "Retry": retry,
            "Catch": self._catch(step.name),
            "Next": check,
        }
        # Ingestion reads raw/ itself, not the catalog, so a failed crawl does not stop the run: the template's
        # EventBridge rule on failed crawls alerts the same SNS topic instead.
        self.states[check] = {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.crawl.crawler.State", "StringEquals": "READY", "Next": following},
                {"Variable": "$.crawl.polls", "NumericGreaterThanEquals": max_polls, "Next": timed_out},
            ],
            "Default": wait,
        }
        self.states[timed_out] = {
            "Type": "Pass",
            "Parameters": {
                "Error": "States.Timeout",
                "Cause": f"the crawler was still running after {step.timeout_seconds} s",
            },
            "ResultPath": "$.error",
            "Next": f"{step.name} failed",
        }

    def _add_queue(self, first: str) -> None:
        """Wait while an earlier execution is still running; the oldest running one goes on."""
        self.states[QUEUE_LIST] = {
            **self.integrations.running_executions(),
            "ResultPath": "$.queue",
            "Next": QUEUE_CHECK,
        }
        if self.states[QUEUE_LIST]["Type"] == "Task":
            self.states[QUEUE_LIST]["Retry"] = [self._retry(("States.TaskFailed",), 30, 3)]
            self.states[QUEUE_LIST]["Catch"] = self._catch(QUEUE_LIST)
        self.states[QUEUE_CHECK] = {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.queue.oldest[0]", "IsPresent": False, "Next": first},
                {"Variable": "$.queue.oldest[0]", "StringEqualsPath": "$.execution", "Next": first},
            ],
            "Default": QUEUE_WAIT,
        }
        self.states[QUEUE_WAIT] = {"Type": "Wait", "Seconds": self.timing.queue_wait_seconds, "Next": QUEUE_LIST}

    def _retry(self, errors: tuple[str, ...], interval: int, attempts: int) -> dict[str, Any]:
        return {
            "ErrorEquals": list(errors),
            "IntervalSeconds": interval,
            "MaxAttempts": attempts,
            "BackoffRate": self.timing.backoff_rate,
        }

    def _catch(self, state: str) -> list[dict[str, Any]]:
        """Catch everything into `<state> failed`, which records the step's name before the alert."""
        recorder = f"{state} failed"
        self.recorders[recorder] = {
            "Type": "Pass",
            "Parameters": {"step": state, "error.$": "$.error"},
            "ResultPath": "$.failure",
            "Next": FAILURE,
        }
        return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": recorder}]

    def _add_endings(self, steps: tuple[Step, ...]) -> None:
        sns_retry = [self._retry(("States.TaskFailed",), self.timing.transient_retry_seconds, 2)]
        self.states[FAILURE] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": _placeholder(names.ALERT_TOPIC),
                "Subject": "supplychain pipeline failed",
                "Message.$": "States.Format('supplychain run {} failed at step {}. Error and cause: {}', "
                "$.run_id, $.failure.step, States.JsonToString($.failure.error))",
            },
            "TimeoutSeconds": 60,
            "ResultPath": None,
            "Retry": sns_retry,
            # Even if the alert cannot be sent, the execution must still end FAILED (the alarm catches that).
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": FAILED}],
            "Next": FAILED,
        }
        self.states[FAILED] = {
            "Type": "Fail",
            "Error": "PipelineFailed",
            "Cause": "A pipeline step failed; the SNS alert names the step and carries its cause.",
        }
        self.states[SUMMARY] = {
            "Type": "Pass",
            "Parameters": {
                "run_id.$": "$.run_id",
                "run_date.$": "$.run_date",
                "execution.$": "$$.Execution.Id",
                "steps": [s.name for s in steps],
                "artifacts.$": f"States.Format('s3://{_placeholder(names.BUCKET)}/runs/{{}}/', $.run_id)",
            },
            "ResultPath": "$.summary",
            "Next": NOTIFY_SUCCESS,
        }
        self.states[NOTIFY_SUCCESS] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": _placeholder(names.ALERT_TOPIC),
                "Subject": "supplychain pipeline succeeded",
                "Message.$": "States.JsonToString($.summary)",
            },
            "TimeoutSeconds": 60,
            "ResultPath": None,
            "Retry": sns_retry,
            "Next": SUCCEEDED,
        }
        self.states[SUCCEEDED] = {"Type": "Succeed"}
