"""The CloudFormation template for the AWS deployment, generated from the pipeline so the two cannot drift.

`supplychain aws deploy` renders it; the tests lint it (cfn-lint), scan it (checkov) and deploy it to moto.
Where the template departs from a scanner's rule it says why in the resource's Metadata (checkov skip comments).
"""

from __future__ import annotations

import json
from typing import Any

from orchestration.pipeline import steps_for
from orchestration.template.containers import container
from orchestration.template.glue import glue
from orchestration.template.network import network
from orchestration.template.parameters import conditions, outputs, parameters, rules
from orchestration.template.storage import storage
from orchestration.template.workflow import workflow


def template(definition: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole template; `definition` replaces the generated state machine (the moto tests pass their variant)."""
    aws_steps = [s.name for s in steps_for("aws")]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "supplychain pipeline: data lake, Glue ingestion, dbt/forecast/optimise on Fargate, "
        "Step Functions (" + ", ".join(aws_steps) + ")",
        "Parameters": parameters(),
        "Rules": rules(),
        "Conditions": conditions(),
        "Resources": {**storage(), **network(), **glue(), **container(), **workflow(definition)},
        "Outputs": outputs(),
    }


def template_json(definition: dict[str, Any] | None = None) -> str:
    return json.dumps(template(definition), indent=1)
