"""`supplychain aws bootstrap | deploy | upload-data | start | status`, registered by supplychain.cli.

Typical first deployment:

    supplychain aws bootstrap                                  # deployment bucket (templates, Glue code)
    supplychain aws deploy -p RedshiftHost=... -p SubnetIds=subnet-1,subnet-2 -p SecurityGroupIds=sg-1
    supplychain aws upload-data                                # Glue code, then the local lake's raw/ drops
    supplychain aws start --follow                             # or wait for the schedule / the upload marker
"""

from __future__ import annotations

import argparse
from pathlib import Path

from foundation.settings import parse_date


def add_aws_commands(commands: argparse._SubParsersAction) -> None:
    aws = commands.add_parser("aws", help="deploy and run the pipeline on AWS (CloudFormation, Step Functions)")
    aws.add_argument("--environment", default="dev", help="environment name in every resource (default %(default)s)")
    aws.add_argument("--region", default=None, help="AWS region (default: AWS_DEFAULT_REGION or us-east-1)")
    actions = aws.add_subparsers(dest="aws_command", required=True)

    actions.add_parser("bootstrap", help="create the deployment bucket (and the lake's prefixes once deployed)")

    deploy = actions.add_parser("deploy", help="create or update the stack and wait for it")
    deploy.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter (repeatable); unset ones keep their current or default value",
    )
    deploy.add_argument("--no-wait", action="store_true", help="return once the change has started")

    upload = actions.add_parser("upload-data", help="upload the Glue job code and the lake's raw/ drops")
    upload.add_argument("--raw", type=Path, default=None, help="folder of raw drops (default: <lake-root>/raw)")
    upload.add_argument(
        "--no-marker", action="store_true", help="do not write the raw/_uploads/ marker that starts a run"
    )

    start = actions.add_parser("start", help="start a pipeline execution")
    start.add_argument("--run-id", default=None, help="names the execution and the run's artifact folder")
    start.add_argument("--run-date", type=parse_date, default=None, help="ingest drops up to this date (today)")
    start.add_argument("--follow", action="store_true", help="then print its progress until it ends")

    status = actions.add_parser("status", help="print an execution's state transitions, following it to its end")
    status.add_argument("execution_arn", nargs="?", help="default: the latest execution")
    status.add_argument("--no-follow", action="store_true", help="print what happened so far and return")


def run_aws_command(args: argparse.Namespace, settings=None) -> int:
    from orchestration import deploy, executions, uploads
    from orchestration.aws import Aws
    from orchestration.template import template_json

    aws = Aws(environment=args.environment, region=args.region)
    if args.aws_command == "bootstrap":
        print(f"deployment bucket: s3://{deploy.bootstrap(aws)}")
        return 0
    if args.aws_command == "deploy":
        deploy.deploy(aws, template_json(), _parameters(args.parameter), wait=not args.no_wait)
        return 0
    if args.aws_command == "upload-data":
        raw = args.raw or Path(args.lake_root) / "raw"
        summary = uploads.upload_data(aws, raw, marker=not args.no_marker)
        print(
            f"uploaded {len(summary.scripts)} Glue code files; raw drops: {summary.drops_uploaded} uploaded, "
            f"{summary.drops_skipped} already there" + (f"; marker {summary.marker}" if summary.marker else "")
        )
        return 0
    if args.aws_command == "start":
        arn = executions.start(aws, args.run_id, args.run_date)
        print(f"started {arn}")
        return _exit_code(executions.follow(aws, arn)) if args.follow else 0
    if args.aws_command == "status":
        arn = args.execution_arn or executions.latest_execution(aws)
        return _exit_code(executions.follow(aws, arn, keep_following=not args.no_follow))
    raise ValueError(f"unknown aws command {args.aws_command}")


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise ValueError(f"--parameter {pair!r} must look like KEY=VALUE")
        parameters[key] = value
    return parameters


def _exit_code(status: str) -> int:
    return {"SUCCEEDED": 0, "RUNNING": 0}.get(status, 1)
