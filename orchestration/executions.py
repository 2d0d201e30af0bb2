"""`supplychain aws start` and `supplychain aws status`: start a pipeline execution and follow it."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterator

from orchestration.aws import Aws, AwsError, explained
from orchestration.deploy import stack_outputs

FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def state_machine_arn(aws: Aws) -> str:
    arn = stack_outputs(aws).get("StateMachineArn")
    if not arn:
        raise AwsError(f"stack {aws.stack_name} has no StateMachineArn output: deploy it first")
    return arn


def start(aws: Aws, run_id: str | None = None, run_date: dt.date | None = None) -> str:
    """Start an execution named after the run id (so a run id is used once); returns the execution ARN."""
    now = dt.datetime.now(dt.timezone.utc)
    run_id = run_id or f"manual-{now:%Y%m%dT%H%M%SZ}"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", run_id):
        raise ValueError(f"run id {run_id!r} must be 1-80 letters, digits, '-' or '_' (it names the execution)")
    payload = {"run_id": run_id, "run_date": (run_date or now.date()).isoformat()}
    with explained(f"start run {run_id}"):
        return aws.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn(aws), name=run_id, input=json.dumps(payload)
        )["executionArn"]


def latest_execution(aws: Aws) -> str:
    with explained("list the pipeline's executions"):
        found = aws.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn(aws), maxResults=1)
    if not found["executions"]:
        raise AwsError("the pipeline has not run yet: start it with `supplychain aws start`")
    return found["executions"][0]["executionArn"]


def follow(
    aws: Aws,
    execution_arn: str,
    poll_seconds: float = 5,
    report: Callable[[str], None] = print,
    keep_following: bool = True,
) -> str:
    """Print each state transition as it happens; return the execution's final (or current) status."""
    sfn = aws.client("stepfunctions")
    seen = 0
    while True:
        with explained(f"follow execution {execution_arn}"):
            status = sfn.describe_execution(executionArn=execution_arn)["status"]
            events = list(_history(sfn, execution_arn))
        for event in events[seen:]:
            line = describe_event(event)
            if line:
                report(line)
        seen = len(events)
        if status in FINISHED or not keep_following:
            report(f"execution {status}")
            return status
        time.sleep(poll_seconds)


def _history(sfn, execution_arn: str) -> Iterator[dict]:
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        yield from page["events"]


def describe_event(event: dict) -> str | None:
    """One line per state entered or left, and every failure with its cause; None for the rest."""
    at = event["timestamp"].strftime("%H:%M:%S")
    kind = event["type"]
    if "stateEnteredEventDetails" in event:
        return f"{at} started   {event['stateEnteredEventDetails']['name']}"
    if "stateExitedEventDetails" in event:
        return f"{at} finished  {event['stateExitedEventDetails']['name']}"
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict) and "error" in details:
            cause = details.get("cause", "")
            return f"{at} {kind}: {details['error']}" + (f": {cause[:500]}" if cause else "")
    return None
