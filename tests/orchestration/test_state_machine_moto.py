"""The state machine's control flow run by moto's Step Functions executor: success, catch to SNS, retries.

moto cannot run Glue `.sync` or ECS tasks, so the variant under test (state_machine.moto_definition) starts the Glue
job runs request-response and sends one SQS message per ECS step; a step whose container is to exit non-zero waits
on its task token, and the test's stand-in container fails it (SendTaskFailure), as `ecs:runTask.sync` fails the
step with States.TaskFailed on AWS. The Parallel states, Retry, Catch, the crawler loop and both SNS notifications
are the production ones.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid

import pytest

from orchestration import names, state_machine
from orchestration.pipeline import INGEST_WAVES, steps_for

pytestmark = pytest.mark.aws
ECS_STEPS = [s.name for s in steps_for("aws") if s.platform.value == "ecs-task"]
JOBS = [job for wave in INGEST_WAVES for job in wave]


@pytest.fixture
def stack(aws):
    """The resources the definition names, created with boto3 (moto's CloudFormation skips Glue)."""
    tag = uuid.uuid4().hex[:8]
    s3, glue, sqs, sns = aws("s3"), aws("glue"), aws("sqs"), aws("sns")
    bucket = f"lake-{tag}"
    s3.create_bucket(Bucket=bucket)
    role = f"arn:aws:iam::123456789012:role/glue-{tag}"
    glue.create_database(DatabaseInput={"Name": f"raw_{tag}"})
    glue.create_crawler(
        Name=f"raw-{tag}",
        Role=role,
        DatabaseName=f"raw_{tag}",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/raw/"}]},
    )
    values = {
        names.BUCKET: bucket,
        names.CRAWLER: f"raw-{tag}",
        names.SUBNETS: "subnet-a,subnet-b",
        names.SECURITY_GROUPS: "sg-a",
        names.CLUSTER: "unused-by-the-variant",
        names.TASK_DEFINITION: "unused-by-the-variant",
    }
    for job in JOBS:
        values[names.glue_job_key(job)] = f"ingest-{job}-{tag}"
        glue.create_job(
            Name=f"ingest-{job}-{tag}",
            Role=role,
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/jobs/{job}.py"},
            ExecutionProperty={"MaxConcurrentRuns": 1},
        )
    ecs_queue = sqs.create_queue(QueueName=f"ecs-{tag}")["QueueUrl"]
    values[names.ECS_STAND_IN_QUEUE] = ecs_queue
    topic = sns.create_topic(Name=f"alerts-{tag}")["TopicArn"]
    values[names.ALERT_TOPIC] = topic
    inbox = sqs.create_queue(QueueName=f"inbox-{tag}")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    return {"tag": tag, "values": values, "ecs_queue": ecs_queue, "inbox": inbox, "aws": aws}


def run(stack, values=None, run_id="run-1", timeout=120, definition=None):
    sfn = stack["aws"]("stepfunctions")
    definition = definition or state_machine.moto_definition()
    text = state_machine.substitute(json.dumps(definition), values or stack["values"])
    machine = sfn.create_state_machine(
        name=f"pipeline-{uuid.uuid4().hex[:8]}", definition=text, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    execution = sfn.start_execution(
        stateMachineArn=machine, input=json.dumps({"run_id": run_id, "run_date": "2025-06-30T06:00:00Z"})
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while (status := sfn.describe_execution(executionArn=execution)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.5)
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return status, events


def messages(stack, queue):
    sqs = stack["aws"]("sqs")
    found = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"):
        found += [m["Body"] for m in batch]
        sqs.delete_message_batch(
            QueueUrl=queue, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    return found


def failures(events):
    """The failure details in a history, for assertion messages."""
    return [
        (e["type"], details)
        for e in events
        for key, details in e.items()
        if key.endswith("EventDetails") and "error" in details
    ]


def entered(events):
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def test_success_runs_every_step_in_order_and_publishes_a_summary(stack):
    status, events = run(stack)
    assert status == "SUCCEEDED", failures(events)
    states = entered(events)
    assert states.index("crawl-raw: poll") < states.index("ingest-products") < states.index("ingest-sales")
    assert {f"ingest-{job.replace('_', '-')}" for job in JOBS} <= set(states)
    ecs_calls = [json.loads(body) for body in messages(stack, stack["ecs_queue"])]
    assert [c["step"] for c in ecs_calls] == ECS_STEPS  # the ECS steps ran one after another, in pipeline order
    assert ecs_calls[0]["command"] == ["step", "load"] and ecs_calls[0]["run_id"] == "run-1"
    glue = stack["aws"]("glue")
    for job in JOBS:
        runs = glue.get_job_runs(JobName=stack["values"][names.glue_job_key(job)])["JobRuns"]
        assert [r["Arguments"]["--run_date"] for r in runs] == ["2025-06-30"], job  # timestamp cut to a date
    [notice] = [json.loads(body) for body in messages(stack, stack["inbox"])]
    assert notice["run_id"] == "run-1" and notice["run_date"] == "2025-06-30"
    assert notice["steps"] == [s.name for s in steps_for("aws")]
    assert notice["artifacts"] == f"s3://{stack['values'][names.BUCKET]}/runs/run-1/"


def test_a_failing_step_is_caught_alerted_with_its_cause_and_fails_the_run(stack):
    broken = {**stack["values"], names.ECS_STAND_IN_QUEUE: stack["ecs_queue"] + "-missing"}
    status, events = run(stack, broken)
    assert status == "FAILED"
    states = entered(events)
    assert states[-3:] == ["load failed", "Notify failure", "Pipeline failed"]
    assert "build-warehouse" not in states
    # load is retryable, but only on a time-out: its own failure (which States.TaskFailed matches) is final.
    load_attempts = [
        e for e in events if e["type"] == "TaskScheduled" and "sqs" in e["taskScheduledEventDetails"]["resourceType"]
    ]
    assert len(load_attempts) == 1
    [alert] = messages(stack, stack["inbox"])
    assert alert.startswith("supplychain run run-1 failed at step load.")
    assert "NonExistentQueue" in alert or "does not exist" in alert.lower(), alert


# The stand-in's error for what AWS reports as States.TaskFailed (a task may not raise a `States.` name itself).
# In a Retry or Catch, States.TaskFailed matches it as it matches every error but States.Timeout, on AWS and moto.
CONTAINER_EXITED = "StandIn.ContainerExited"


@contextlib.contextmanager
def stand_in_containers(stack):
    """The ECS tasks of the run: each message on the stand-in queue is recorded; one carrying a task token is a
    container exiting with its `exit_code`, answered as runTask.sync answers that on AWS."""
    sqs, sfn = stack["aws"]("sqs"), stack["aws"]("stepfunctions")
    received, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            batch = sqs.receive_message(QueueUrl=stack["ecs_queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in batch.get("Messages", []):
                body = json.loads(message["Body"])
                received.append(body)
                sqs.delete_message(QueueUrl=stack["ecs_queue"], ReceiptHandle=message["ReceiptHandle"])
                if "task_token" in body:
                    stopped = {
                        "LastStatus": "STOPPED", "StopCode": "EssentialContainerExited",
                        "StoppedReason": "Essential container in task exited",
                        "Containers": [{"Name": names.CONTAINER_NAME, "ExitCode": body["exit_code"]}],
                    }  # fmt: skip
                    sfn.send_task_failure(taskToken=body["task_token"], error=CONTAINER_EXITED,
                                          cause=json.dumps(stopped))  # fmt: skip

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        yield received
    finally:
        stop.set()
        worker.join(timeout=10)


@pytest.mark.parametrize("step", ["build-warehouse", "load"])
def test_a_container_exiting_non_zero_fails_its_step_once_with_task_failed(stack, step):
    """On AWS `ecs:runTask.sync` raises States.TaskFailed when the container exits non-zero. The step retry (on
    States.TaskFailed) caught it and ran a failing dbt build again, up to another hour; a step's own failure is now
    final, even for a step marked retryable (both of these are), and the alert names the error."""
    definition = state_machine.moto_definition(exit_codes={step: 2})
    with stand_in_containers(stack) as received:
        status, events = run(stack, definition=definition)
    assert status == "FAILED", failures(events)
    task_failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert [d["error"] for d in task_failed] == [CONTAINER_EXITED]  # raised once, never retried
    states = entered(events)
    assert states.count(step) == 1 and f"{step}: exit code?" not in states
    assert states[-3:] == [f"{step} failed", "Notify failure", "Pipeline failed"]
    recorded = [body["step"] for body in received]
    assert recorded.count(step) == 1 and recorded[-1] == step  # the container ran once; nothing after it ran
    [alert] = messages(stack, stack["inbox"])
    assert alert.startswith(f"supplychain run run-1 failed at step {step}.")
    assert CONTAINER_EXITED in alert, alert  # (moto drops SendTaskFailure's cause: AWS's carries the task)


@pytest.fixture
def job_runs_never_finish(moto_api):
    moto_api(
        "state-manager/set-transition",
        {"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 10_000}},
    )
    yield
    moto_api("state-manager/unset-transition", {"model_name": "glue::job_run"})


def test_transient_glue_errors_are_retried_then_caught(stack, job_runs_never_finish):
    glue = stack["aws"]("glue")
    blocked = stack["values"][names.glue_job_key("sales")]
    glue.start_job_run(JobName=blocked)  # holds the job's one concurrent run, as an overlapping pipeline run would
    status, events = run(stack)
    assert status == "FAILED", failures(events)
    attempts = [
        e
        for e in events
        if e["type"] == "TaskFailed" and "ConcurrentRunsExceeded" in e["taskFailedEventDetails"]["error"]
    ]
    timing = state_machine.QUICK
    assert len(attempts) == timing.transient_attempts + 1  # the first try and every retry
    [alert] = messages(stack, stack["inbox"])
    assert "failed at step Parallel group 2" in alert and "ConcurrentRunsExceeded" in alert
