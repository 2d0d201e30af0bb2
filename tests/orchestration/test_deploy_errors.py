"""What deploy says when CloudFormation rolls back or AWS refuses: paths moto never takes (it neither rolls a stack
back nor checks IAM), so CloudFormation's answers are stubbed with botocore's Stubber; S3 is the real moto server."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber

from orchestration import deploy
from orchestration.aws import Aws, AwsError

pytestmark = pytest.mark.aws
NOW = dt.datetime(2025, 6, 30, tzinfo=dt.timezone.utc)
STACK = "supplychain-dev"


@pytest.fixture
def cloudformation(aws, moto_endpoint, monkeypatch):
    """A stubbed CloudFormation client handed to the deploy code; every other service is moto."""
    environment = Aws(environment="dev")
    deploy.bootstrap(environment)  # the deployment bucket, on moto, before CloudFormation is stubbed
    client = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=moto_endpoint)
    stubber = Stubber(client)
    real = Aws.client
    monkeypatch.setattr(Aws, "client", lambda self, name: client if name == "cloudformation" else real(self, name))
    with stubber:
        yield stubber, environment
    stubber.assert_no_pending_responses()


def stack(status: str) -> dict:
    return {"Stacks": [{"StackName": STACK, "CreationTime": NOW, "StackStatus": status, "Parameters": []}]}


def failed_event(logical_id: str, kind: str, reason: str) -> dict:
    return {
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/supplychain-dev/1",
        "EventId": logical_id,
        "StackName": STACK,
        "Timestamp": NOW,
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "ResourceStatus": "CREATE_FAILED",
        "ResourceStatusReason": reason,
    }


def test_a_stack_left_in_rollback_complete_is_explained_with_what_failed(cloudformation):
    stubber, environment = cloudformation
    stubber.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"))
    reason = "supplychain-dev-lake-123456789012-us-east-1 already exists"
    stubber.add_response(
        "describe_stack_events", {"StackEvents": [failed_event("DataLakeBucket", "AWS::S3::Bucket", reason)]}
    )
    with pytest.raises(AwsError) as failure:
        deploy.deploy(environment, "{}", {})
    message = str(failure.value)
    assert "ROLLBACK_COMPLETE: its first creation failed" in message
    assert "aws cloudformation delete-stack --stack-name supplychain-dev" in message
    assert f"DataLakeBucket (AWS::S3::Bucket): {reason}" in message


def test_an_update_rolled_back_lists_each_failed_resource(cloudformation):
    stubber, environment = cloudformation
    stubber.add_response("describe_stacks", stack("UPDATE_COMPLETE"))
    stubber.add_response("update_stack", {"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/x/1"})
    stubber.add_response("describe_stacks", stack("UPDATE_ROLLBACK_IN_PROGRESS"))
    stubber.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))
    events = [
        failed_event("PipelineTaskDefinition", "AWS::ECS::TaskDefinition", "Invalid 'cpu' setting for task"),
        failed_event("EcsCluster", "AWS::ECS::Cluster", "Resource update cancelled"),
    ]  # newest first, as CloudFormation returns them
    stubber.add_response("describe_stack_events", {"StackEvents": events})
    with pytest.raises(AwsError) as failure:
        deploy.deploy(environment, "{}", {"TaskCpu": "3000"}, poll_seconds=0)
    lines = str(failure.value).splitlines()
    assert lines[0] == "stack supplychain-dev ended in UPDATE_ROLLBACK_COMPLETE."
    assert lines[1:] == [
        "What failed:",
        "  - EcsCluster (AWS::ECS::Cluster): Resource update cancelled",
        "  - PipelineTaskDefinition (AWS::ECS::TaskDefinition): Invalid 'cpu' setting for task",
    ]


def test_a_missing_permission_is_named_as_such(cloudformation):
    stubber, environment = cloudformation
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="AccessDenied",
        service_message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
        "cloudformation:DescribeStacks",
        http_status_code=403,
    )
    with pytest.raises(
        AwsError,
        match=r"could not describe stack supplychain-dev: permission denied\. .*"
        r"not authorized to perform: cloudformation:DescribeStacks",
    ):
        deploy.deploy(environment, "{}", {})
