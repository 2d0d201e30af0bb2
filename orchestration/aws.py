"""boto3 clients for the deploy commands, and AWS errors turned into plain words.

`SUPPLYCHAIN_AWS_ENDPOINT_URL` (else `AWS_ENDPOINT_URL`) points every client at another endpoint: the tests use a
local moto server. Region and credentials come from the usual AWS environment, profile or role.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

ENDPOINT_VARIABLES = ("SUPPLYCHAIN_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL")
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
BAD_CREDENTIALS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException"}


class AwsError(RuntimeError):
    """An AWS call failed; the message says what was being done, why it failed and what to do."""


@dataclass
class Aws:
    environment: str = "dev"
    region: str | None = None

    @cached_property
    def session(self):
        import boto3

        return boto3.session.Session(region_name=self.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")

    @property
    def endpoint_url(self) -> str | None:
        return next((os.environ[v] for v in ENDPOINT_VARIABLES if os.environ.get(v)), None)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url)

    @property
    def region_name(self) -> str:
        return self.session.region_name

    @property
    def partition(self) -> str:
        """`aws`, `aws-cn` or `aws-us-gov`: what every ARN the commands write starts with."""
        return self.session.get_partition_for_region(self.region_name)

    @property
    def s3_host(self) -> str:
        """S3's regional host name in this partition (amazonaws.com, amazonaws.com.cn), whatever endpoint the
        clients use: CloudFormation reads templates from S3 itself."""
        from urllib.parse import urlparse

        from botocore.config import Config

        real = self.session.client("s3", config=Config(ignore_configured_endpoint_urls=True))
        return urlparse(real.meta.endpoint_url).netloc

    @cached_property
    def account_id(self) -> str:
        with explained("find the AWS account (sts get-caller-identity)"):
            return self.client("sts").get_caller_identity()["Account"]

    @property
    def stack_name(self) -> str:
        return f"supplychain-{self.environment}"

    @property
    def deployment_bucket(self) -> str:
        return f"supplychain-{self.environment}-deploy-{self.account_id}-{self.region_name}"


@contextmanager
def explained(action: str) -> Iterator[None]:
    """Re-raise an AWS failure inside the block as AwsError naming the action and the likely fix."""
    try:
        yield
    except AwsError:
        raise
    except Exception as error:
        message = describe(error, action)
        if message is None:
            raise
        raise AwsError(message) from error


def describe(error: BaseException, action: str) -> str | None:
    """Plain words for an AWS failure, or None for errors that are not AWS's."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return (
            f"could not {action}: no AWS credentials found. Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an IAM role is attached."
        )
    if isinstance(error, NoRegionError):
        return f"could not {action}: no AWS region set. Set AWS_DEFAULT_REGION or pass --region."
    if isinstance(error, EndpointConnectionError):
        return f"could not {action}: AWS could not be reached ({error}). Check the network and the region."
    if not isinstance(error, ClientError):
        return None
    code = error.response.get("Error", {}).get("Code", "")
    text = error.response.get("Error", {}).get("Message", "")
    if code in ACCESS_DENIED:
        return (
            f"could not {action}: permission denied. The credentials in use lack the IAM permission for this "
            f"call; ask for it or use a role that has it. AWS said: {text}"
        )
    if code in BAD_CREDENTIALS:
        return f"could not {action}: the AWS credentials were rejected ({code}); refresh them. AWS said: {text}"
    return f"could not {action}: {code}: {text}"
