"""The generated definitions checked by the tools AWS users rely on, and against each other.

asl-validator (npm, installed by make setup) on both state machine definitions; cfn-lint and checkov on the
template; every resource the state machine names exists in the template; every AWS step appears in the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import names, state_machine, template
from orchestration.pipeline import Platform, steps_for

REPOSITORY = Path(__file__).resolve().parents[2]
ASL_VALIDATOR = REPOSITORY / "orchestration" / "node_modules" / ".bin" / "asl-validator"
# checkov pins versions of boto3 and packaging the project cannot use: make setup gives it its own environment.
CHECKOV = REPOSITORY / ".venv" / "tools" / "checkov" / "bin" / "checkov"


def tool(path: Path) -> str:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make setup`")
    return str(path)


@pytest.mark.parametrize("variant", ["production", "moto"])
def test_asl_validator_accepts_the_state_machine(tmp_path, variant):
    definition = state_machine.definition() if variant == "production" else state_machine.moto_definition()
    path = tmp_path / f"{variant}.asl.json"
    path.write_text(json.dumps(definition))
    checked = subprocess.run([tool(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_asl_validator_rejects_a_broken_definition(tmp_path):
    """The check above means something: a dangling Next fails it."""
    definition = state_machine.definition()
    definition["States"]["load"]["Next"] = "no-such-state"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(definition))
    checked = subprocess.run([tool(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True)
    assert checked.returncode != 0


@pytest.fixture(scope="module")
def template_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfn") / "template.json"
    path.write_text(template.template_json())
    return path


def test_cfn_lint_reports_nothing(template_file):
    linted = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(template_file)], capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.aws
def test_checkov_passes_and_every_suppression_is_used_and_explained(template_file):
    scanned = subprocess.run(
        [tool(CHECKOV), "-f", str(template_file), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
    )
    report = json.loads(scanned.stdout)
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in report["results"]["failed_checks"]]
    assert scanned.returncode == 0 and not failed, failed
    declared = {
        (skip["id"], logical_id)
        for logical_id, resource in template.template()["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        if skip["comment"].strip()
    }
    skipped = {(c["check_id"], c["resource"].split(".")[-1]) for c in report["results"]["skipped_checks"]}
    assert skipped == declared  # no stale suppression, none without a reason


def test_every_resource_the_state_machine_names_is_in_the_template():
    built = template.template()
    machine = built["Resources"]["PipelineStateMachine"]["Properties"]
    definition = machine["DefinitionString"]["Fn::Sub"]
    used = state_machine.placeholders(definition.replace("${!", "${"))
    assert used == set(machine["DefinitionSubstitutions"])
    for key, value in machine["DefinitionSubstitutions"].items():
        referenced = [r for r in json.dumps(value).split('"') if r in built["Resources"] or r in built["Parameters"]]
        assert referenced, f"{key} is filled from nothing in the template: {value}"
    assert names.ECS_STAND_IN_QUEUE not in used  # the test-only placeholder stays out of production


def test_every_service_integration_is_in_the_stacks_partition():
    """No `arn:aws:` spelled out: GovCloud and China stacks get their own partition through the Fn::Sub."""
    machine = template.template()["Resources"]["PipelineStateMachine"]["Properties"]
    definition = machine["DefinitionString"]["Fn::Sub"]
    tasks = [s for s in state_machine.definition()["States"].values() if s["Type"] == "Task"]
    assert '"arn:aws:' not in definition
    assert definition.count('"arn:${AWS::Partition}:states:::') >= len(tasks) > 0
    # Filled in as CloudFormation does, the definition is the one the validators and moto check.
    filled = definition.replace("${AWS::Partition}", "aws").replace("${!", "${")
    assert json.loads(filled) == state_machine.definition()


def test_every_aws_step_appears_in_the_state_machine():
    definition = state_machine.definition()
    states = dict(definition["States"])
    for parallel in [s for s in definition["States"].values() if s["Type"] == "Parallel"]:
        for branch in parallel["Branches"]:
            states.update(branch["States"])
    for step in steps_for("aws"):
        assert step.name in states, step.name
        state = states[step.name]
        if step.platform is Platform.GLUE_CRAWLER:
            # The step's time limit bounds the polling loop: polls x poll interval.
            [bound] = [c for c in states[f"{step.name}: finished?"]["Choices"] if "NumericGreaterThanEquals" in c]
            polls = bound["NumericGreaterThanEquals"]
            assert polls * states[f"{step.name}: wait"]["Seconds"] >= step.timeout_seconds
            continue
        assert state["Type"] == "Task" and state["TimeoutSeconds"] == step.timeout_seconds
        if step.platform is Platform.GLUE_JOB:
            assert state["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
            assert state["Parameters"]["JobName"] == "${" + names.glue_job_key(step.ingestion_job) + "}"
        if step.platform is Platform.ECS_TASK:
            assert state["Resource"] == "arn:aws:states:::ecs:runTask.sync"
            # runTask.sync fails on a non-zero exit; a Choice still guards a task that stopped with no exit code.
            check = definition["States"][state["Next"]]
            assert check["Type"] == "Choice" and check["Choices"][0]["And"][1] == {
                "Variable": "$.ecs.container.ExitCode",
                "NumericEquals": 0,
            }
            [override] = state["Parameters"]["Overrides"]["ContainerOverrides"]
            assert override["Command"] == list(step.command) and override["Name"] == names.CONTAINER_NAME
        retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
        # A failed Glue job run or a container that exited non-zero (States.TaskFailed on AWS) is the step's
        # verdict: only a retryable step's time-out is tried again.
        assert "States.TaskFailed" not in retried
        assert ("States.Timeout" in retried) == step.retryable
    assert "generate-sample" not in states  # local only


def test_every_task_has_a_timeout_and_every_failure_reaches_the_alert():
    definition = state_machine.definition()
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            assert state["TimeoutSeconds"] > 0, name
        if state["Type"] in ("Task", "Parallel") and name not in (state_machine.FAILURE, state_machine.NOTIFY_SUCCESS):
            [catch] = [c for c in state["Catch"] if c["ErrorEquals"] == ["States.ALL"]]
            assert definition["States"][catch["Next"]]["Next"] == state_machine.FAILURE, name
    assert definition["States"][state_machine.FAILURE]["Next"] == state_machine.FAILED


def test_the_template_runs_the_glue_jobs_the_pipeline_defines():
    resources = template.template()["Resources"]
    glue_jobs = {k for k, v in resources.items() if v["Type"] == "AWS::Glue::Job"}
    expected = {names.glue_job_key(s.ingestion_job) for s in steps_for("aws") if s.platform is Platform.GLUE_JOB}
    assert glue_jobs == expected
    for key in glue_jobs:
        script = resources[key]["Properties"]["Command"]["ScriptLocation"]["Fn::Sub"]
        job = script.rsplit("/", 1)[-1]
        assert (REPOSITORY / "ingestion" / "jobs" / job).exists(), script
