"""`supplychain aws bootstrap` and `supplychain aws deploy`: the deployment bucket, then the CloudFormation stack.

bootstrap creates what must exist before the stack: an encrypted, private, versioned deployment bucket holding
the templates and the Glue job code (glue/jobs/<job>.py, glue/supplychain.zip). The data-lake bucket belongs to
the stack (its encryption, logging and lifecycle are in the template); once the stack is up, deploy (and
bootstrap, when the stack exists) creates its zone prefixes raw/, processed/, curated/ and runs/.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable

from orchestration.aws import Aws, AwsError, explained

log = logging.getLogger(__name__)

DEPLOYMENT_PREFIXES = ("templates/", "glue/jobs/")
LAKE_PREFIXES = ("raw/", "processed/", "curated/", "runs/")
FAILED_STACK = {
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "DELETE_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_FAILED",
}
NO_CHANGES = "No updates are to be performed"


def bootstrap(aws: Aws) -> str:
    """Create (or bring into line) the deployment bucket and its prefixes; returns the bucket name."""
    s3 = aws.client("s3")
    bucket = aws.deployment_bucket
    with explained(f"create the deployment bucket {bucket}"):
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            config = (
                {}
                if aws.region_name == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": aws.region_name}}
            )
            s3.create_bucket(Bucket=bucket, **config)
            log.info("created s3://%s", bucket)
        # A TLS-only policy would lock out a plain-http endpoint (the tests' local moto server).
        secure_bucket(s3, bucket, tls_only=not (aws.endpoint_url or "").startswith("http://"), partition=aws.partition)
        for prefix in DEPLOYMENT_PREFIXES:
            s3.put_object(Bucket=bucket, Key=prefix, Body=b"")
    lake = stack_outputs(aws, missing_ok=True).get("DataLakeBucketName")
    if lake:
        create_lake_prefixes(aws, lake)
    return bucket


def secure_bucket(s3, bucket: str, tls_only: bool = True, partition: str = "aws") -> None:
    """KMS encryption by default, no public access, versioning, and TLS-only access."""
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if not tls_only:
        return
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )


def create_lake_prefixes(aws: Aws, bucket: str) -> None:
    s3 = aws.client("s3")
    with explained(f"create the zone prefixes in s3://{bucket}"):
        for prefix in LAKE_PREFIXES:
            s3.put_object(Bucket=bucket, Key=prefix, Body=b"")


def deploy(
    aws: Aws,
    template_body: str,
    parameters: dict[str, str],
    wait: bool = True,
    poll_seconds: float = 5,
    report: Callable[[str], None] = print,
) -> str:
    """Create the stack, or update it; wait for the outcome and explain a rollback. Returns the final status."""
    cloudformation = aws.client("cloudformation")
    stack = aws.stack_name
    url = upload_template(aws, template_body)
    current = describe_stack(aws)
    if current and current["StackStatus"] == "ROLLBACK_COMPLETE":
        reasons = failure_reasons(aws)
        raise AwsError(
            f"stack {stack} is in ROLLBACK_COMPLETE: its first creation failed, and CloudFormation cannot update "
            f"such a stack. Delete it (aws cloudformation delete-stack --stack-name {stack}) and deploy again."
            + reasons
        )
    if current and current["StackStatus"].endswith("_IN_PROGRESS"):
        raise AwsError(f"stack {stack} is busy ({current['StackStatus']}); wait for it to finish and deploy again")
    given = {"EnvironmentName": aws.environment, "DeploymentBucket": aws.deployment_bucket, **parameters}
    arguments = {
        "StackName": stack,
        "TemplateURL": url,
        "Capabilities": ["CAPABILITY_IAM"],
        "Tags": [{"Key": "project", "Value": "supplychain"}, {"Key": "environment", "Value": aws.environment}],
    }
    if current is None:
        with explained(f"create stack {stack}"):
            cloudformation.create_stack(
                **arguments, Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]
            )
        report(f"creating stack {stack}")
    else:
        values = update_parameters(template_body, current, given)
        try:
            with explained(f"update stack {stack}"):
                cloudformation.update_stack(**arguments, Parameters=values)
        except AwsError as failure:
            if NO_CHANGES in str(failure):
                report(f"stack {stack} is already up to date: nothing to change")
                return current["StackStatus"]
            raise
        report(f"updating stack {stack}")
    if not wait:
        return "IN_PROGRESS"
    status = wait_for_stack(aws, poll_seconds)
    if status in FAILED_STACK:
        raise AwsError(f"stack {stack} ended in {status}." + failure_reasons(aws))
    report(f"stack {stack}: {status}")
    lake = stack_outputs(aws).get("DataLakeBucketName")
    if lake:
        create_lake_prefixes(aws, lake)
    return status


# Parameters added since a stack may have been created, with the value that keeps such a stack doing what it did
# (its default is for new stacks): the schedule and upload rules were always on before PipelineTriggers existed.
BEHAVIOUR_BEFORE_PARAMETER = {"PipelineTriggers": "ENABLED"}


def update_parameters(template_body: str, current: dict, given: dict[str, str]) -> list[dict]:
    """The given values, and UsePreviousValue for every other parameter the stack has and the template still
    declares. Resending the values describe_stacks shows would not do: a NoEcho parameter (the Redshift password)
    reads back as `****`, which fails its pattern, and an unlisted parameter would fall back to its default."""
    declared = set(json.loads(template_body).get("Parameters", {}))
    previous = [p["ParameterKey"] for p in current.get("Parameters", [])]
    kept = [k for k in previous if k in declared and k not in given]
    added = {
        k: v for k, v in BEHAVIOUR_BEFORE_PARAMETER.items() if k in declared and k not in previous and k not in given
    }
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in {**given, **added}.items()] + [
        {"ParameterKey": k, "UsePreviousValue": True} for k in kept
    ]


def upload_template(aws: Aws, template_body: str) -> str:
    """Templates over 51,200 bytes must come from S3: keep every version, named by its content."""
    digest = hashlib.sha256(template_body.encode()).hexdigest()[:16]
    key = f"templates/{aws.stack_name}-{digest}.json"
    with explained(f"upload the template to s3://{aws.deployment_bucket}/{key} (run `supplychain aws bootstrap`?)"):
        aws.client("s3").put_object(Bucket=aws.deployment_bucket, Key=key, Body=template_body.encode())
    return f"https://{aws.deployment_bucket}.{aws.s3_host}/{key}"


def describe_stack(aws: Aws) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        with explained(f"describe stack {aws.stack_name}"):
            return aws.client("cloudformation").describe_stacks(StackName=aws.stack_name)["Stacks"][0]
    except AwsError as failure:
        if isinstance(failure.__cause__, ClientError) and "does not exist" in str(failure):
            return None
        raise


def stack_outputs(aws: Aws, missing_ok: bool = False) -> dict[str, str]:
    stack = describe_stack(aws)
    if stack is None:
        if missing_ok:
            return {}
        raise AwsError(f"stack {aws.stack_name} does not exist: run `supplychain aws deploy` first")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def wait_for_stack(aws: Aws, poll_seconds: float = 5, timeout_seconds: float = 3600) -> str:
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = describe_stack(aws)["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            return status
        if time.monotonic() > deadline:
            raise AwsError(f"stack {aws.stack_name} still {status} after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)


def failure_reasons(aws: Aws, limit: int = 10) -> str:
    """The resources that failed, oldest first, with CloudFormation's reason for each."""
    with explained(f"read the events of stack {aws.stack_name}"):
        events = aws.client("cloudformation").describe_stack_events(StackName=aws.stack_name)["StackEvents"]
    failed = [
        e for e in reversed(events) if e.get("ResourceStatus", "").endswith("_FAILED") and e.get("ResourceStatusReason")
    ]
    if not failed:
        return ""
    lines = [f"  - {e['LogicalResourceId']} ({e['ResourceType']}): {e['ResourceStatusReason']}" for e in failed]
    return "\nWhat failed:\n" + "\n".join(lines[:limit])
