"""Small builders for CloudFormation JSON: intrinsic functions, IAM statements and checkov suppressions."""

from __future__ import annotations

from typing import Any

ENV = "${EnvironmentName}"
LAKE_ARN = {"Fn::GetAtt": ["DataLakeBucket", "Arn"]}
CODE_PREFIX = "glue"  # in the deployment bucket: glue/jobs/<job>.py and glue/supplychain.zip

REDSHIFT_SECRET_KEYS = (
    ("HOST", "host"),
    ("PORT", "port"),
    ("DATABASE", "dbname"),
    ("USER", "username"),
    ("PASSWORD", "password"),
)
# The role Redshift assumes for COPY: the one given, or the one the stack creates.
COPY_ROLE_ARN = {"Fn::If": ["HasCopyRole", {"Ref": "RedshiftCopyRoleArn"}, {"Fn::GetAtt": ["RedshiftCopyRole", "Arn"]}]}
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


def allow(actions: list[str], resources: Any, **condition: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
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
