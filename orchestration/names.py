"""Names the state machine, the CloudFormation template and the deploy commands share.

The state machine refers to AWS resources only through `${Substitution}` placeholders; the template fills each
from one of its resources (DefinitionSubstitutions), so one definition serves every environment.
"""

from __future__ import annotations

# The container in the pipeline's Fargate task definition; ECS container overrides address it by name.
CONTAINER_NAME = "pipeline"

# Placeholders in the state machine definition.
BUCKET = "DataLakeBucket"
CRAWLER = "RawCrawler"
CLUSTER = "EcsCluster"
TASK_DEFINITION = "PipelineTaskDefinition"
ALERT_TOPIC = "AlertTopic"
SUBNETS = "SubnetIds"  # comma-joined; the definition splits them (a substitution can only be a string)
SECURITY_GROUPS = "SecurityGroupIds"
# Only in the moto test variant: the queue that stands in for ECS tasks.
ECS_STAND_IN_QUEUE = "EcsStandInQueue"

# Custom CloudWatch metric for the quarantine rate (see orchestration/docker/entrypoint.py and the README).
METRIC_NAMESPACE = "Supplychain/Ingestion"
QUARANTINE_METRIC = "QuarantineRate"


def glue_job_key(job: str) -> str:
    """`transfer_lanes` -> `GlueJobTransferLanes`: the placeholder and the template's logical id for a Glue job."""
    return "GlueJob" + "".join(part.capitalize() for part in job.split("_"))


def glue_job_name(environment: str, job: str) -> str:
    return f"supplychain-{environment}-ingest-{job.replace('_', '-')}"
