"""The rendered template against what AWS does at run time, which cfn-lint and moto cannot see: Fargate's task
sizes, the COPY role, the Redshift secret, the scratch space of the image's user, the image platform, what outlives
the stack, and the Glue runtime the jobs get."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from orchestration import names, state_machine
from orchestration.pipeline import STEPS, Platform
from orchestration.template import template
from orchestration.template.cfn import SCRATCH
from orchestration.template.glue import GLUE_PYTHON_MODULES
from orchestration.template.parameters import FARGATE_MEMORY

REPOSITORY = Path(__file__).resolve().parents[2]
DOCKERFILE = REPOSITORY / "orchestration" / "docker" / "Dockerfile"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return template()


def _resolve(node: Any, parameters: dict[str, str]) -> Any:
    """Evaluates the few intrinsic functions the Rules use, as CloudFormation does before creating anything."""
    if isinstance(node, dict) and len(node) == 1:
        [(function, argument)] = node.items()
        if function == "Ref":
            return parameters[argument]
        if function == "Fn::Equals":
            left, right = (_resolve(a, parameters) for a in argument)
            return left == right
        if function == "Fn::Contains":
            values, value = argument
            return _resolve(value, parameters) in [_resolve(v, parameters) for v in values]
        if function == "Fn::Not":
            return not _resolve(argument[0], parameters)
        if function == "Fn::Join":
            separator, values = argument
            return separator.join(_resolve(values, parameters))
    if isinstance(node, list):
        return [_resolve(n, parameters) for n in node]
    return node


def rules_pass(built: dict[str, Any], **given: str) -> bool:
    """The Rules on the given parameter values, every other parameter at its default (a CommaDelimitedList split
    on commas, as CloudFormation splits it)."""
    parameters = {key: str(p.get("Default", "")) for key, p in built["Parameters"].items()} | given
    for key, declared in built["Parameters"].items():
        if declared["Type"] == "CommaDelimitedList":
            parameters[key] = parameters[key].split(",")
    for rule in built["Rules"].values():
        applies = _resolve(rule.get("RuleCondition", True), parameters)
        if applies and not all(_resolve(a["Assert"], parameters) for a in rule["Assertions"]):
            return False
    return True


def test_fargate_cpu_and_memory_pairs_are_checked_before_anything_is_created(built):
    defaults = {key: str(built["Parameters"][key]["Default"]) for key in ("TaskCpu", "TaskMemory")}
    assert rules_pass(built, **defaults)
    assert not rules_pass(built, TaskCpu="8192", TaskMemory="8192")  # the pair the issue found accepted
    assert not rules_pass(built, TaskCpu="1024", TaskMemory="16384")
    assert rules_pass(built, TaskCpu="4096", TaskMemory="30720")
    cpus = built["Parameters"]["TaskCpu"]["AllowedValues"]
    memories = built["Parameters"]["TaskMemory"]["AllowedValues"]
    admitted = {(c, m) for c in cpus for m in memories if rules_pass(built, TaskCpu=c, TaskMemory=m)}
    assert admitted == {(c, m) for c, ms in FARGATE_MEMORY.items() for m in ms}
    assert len(admitted) == 3 + 4 + 7 + 13 + 23 + 12 + 12  # Fargate's published Linux table


def test_the_load_step_always_gets_a_copy_role_that_can_read_processed(built):
    resources = built["Resources"]
    [container] = resources[names.TASK_DEFINITION]["Properties"]["ContainerDefinitions"]
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    role_arn = environment["SUPPLYCHAIN_REDSHIFT_IAM_ROLE"]
    assert role_arn == {
        "Fn::If": ["HasCopyRole", {"Ref": "RedshiftCopyRoleArn"}, {"Fn::GetAtt": ["RedshiftCopyRole", "Arn"]}]
    }
    copy_role = resources["RedshiftCopyRole"]
    assert copy_role["Condition"] == "CreateCopyRole"
    assert built["Conditions"]["CreateCopyRole"] == {"Fn::Equals": [{"Ref": "RedshiftCopyRoleArn"}, ""]}
    trust = copy_role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "redshift.amazonaws.com"}
    statements = copy_role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    granted = {action: s["Resource"] for s in statements for action in s["Action"]}
    assert granted["kms:Decrypt"] == {"Fn::GetAtt": ["DataKey", "Arn"]}  # the lake is SSE-KMS
    assert granted["s3:GetObject"] == [{"Fn::Sub": "${DataLakeBucket.Arn}/processed/*"}]
    assert built["Outputs"]["RedshiftCopyRoleArnUsed"]["Value"] == role_arn


def test_the_secret_holds_the_users_given_password_never_a_generated_one(built):
    secret = built["Resources"]["RedshiftSecret"]["Properties"]
    assert "GenerateSecretString" not in secret
    assert '"password": "${RedshiftPassword}"' in secret["SecretString"]["Fn::Sub"]
    password = built["Parameters"]["RedshiftPassword"]
    assert password["NoEcho"] is True and "Default" not in password
    pattern = re.compile(password["AllowedPattern"])
    for refused in ('has"quote1A', "has space1A", "back\\slash1A", "at@sign1A", "short1A"):
        assert not pattern.match(refused), refused  # would break the secret's JSON or Redshift refuses it
    # Every character the pattern admits, through CloudFormation's substitution: the secret the tasks read is valid
    # JSON holding exactly the password the user has in Redshift.
    admitted = "".join(c for c in map(chr, range(33, 127)) if pattern.match(c * 8))
    given = {"RedshiftHost": "h.example", "RedshiftPort": "5439", "RedshiftDatabase": "supplychain"}
    given |= {"RedshiftUser": "supplychain", "RedshiftPassword": admitted[:64]}
    text = re.sub(r"\$\{(\w+)\}", lambda m: given[m.group(1)], secret["SecretString"]["Fn::Sub"])
    assert json.loads(text) == {
        "host": "h.example",
        "port": "5439",
        "dbname": "supplychain",
        "username": "supplychain",
        "password": admitted[:64],
    }
    assert len(admitted) == 94 - 5  # printable ASCII but ' " / \\ @


def test_the_image_user_can_write_the_scratch_volume_under_a_read_only_root(built):
    """No Docker engine here: the Dockerfile and the task definition are read together. Fargate creates the
    scratch volume empty and root-owned unless the image declares the same path as a VOLUME; then it copies the
    image's folder in, owner and mode included."""
    [container] = built["Resources"][names.TASK_DEFINITION]["Properties"]["ContainerDefinitions"]
    assert container["ReadonlyRootFilesystem"] is True
    [mount] = container["MountPoints"]
    assert mount["ContainerPath"] == SCRATCH and mount.get("ReadOnly") is not True
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    for variable in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "HOME"):
        assert environment[variable] == SCRATCH or environment[variable].startswith(SCRATCH + "/"), variable

    instructions = _dockerfile_instructions(DOCKERFILE.read_text())
    volumes = [json.loads(arg) for op, arg in instructions if op == "VOLUME"]
    assert volumes == [[SCRATCH]]
    volume_at = next(i for i, (op, _) in enumerate(instructions) if op == "VOLUME")
    [user] = [arg for op, arg in instructions if op == "USER"]
    runs = " ".join(arg for op, arg in instructions[:volume_at] if op == "RUN")
    assert f"install -d -m 1777 {SCRATCH}" in runs  # anyone may create files, as in any /tmp
    assert f"install -d -o {user} -g {user} -m 0700 {SCRATCH}/dbt {SCRATCH}/dbt/target {SCRATCH}/dbt/logs" in runs
    # Docker discards a build step's changes to a declared volume: nothing after VOLUME may rely on touching it.
    assert not [arg for op, arg in instructions[volume_at:] if op == "RUN"]


def test_the_image_is_built_for_the_task_definitions_platform(built):
    platform = built["Resources"][names.TASK_DEFINITION]["Properties"]["RuntimePlatform"]
    assert platform["CpuArchitecture"] == {"Ref": "CpuArchitecture"}
    assert built["Parameters"]["CpuArchitecture"]["Default"] == "X86_64"
    for text in (DOCKERFILE.read_text(), (REPOSITORY / "README.md").read_text()):
        builds = [line for line in text.splitlines() if "docker build" in line]
        assert builds and all("--platform linux/amd64" in line or "--platform linux/arm64" in line for line in builds)


def test_deleting_the_stack_keeps_the_key_the_buckets_and_the_secret(built):
    for logical_id in ("DataKey", "DataLakeBucket", "LogBucket", "RedshiftSecret"):
        resource = built["Resources"][logical_id]
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain")


def test_the_glue_jobs_run_glue_5_with_the_modules_the_tests_ran(built):
    assert built["Parameters"]["GlueVersion"]["AllowedValues"] == ["5.0"]
    pins = [line.strip() for line in (REPOSITORY / "ci" / "glue5-requirements.txt").read_text().splitlines()]
    assert "pyspark==3.5.4" in pins
    for module in GLUE_PYTHON_MODULES:
        assert module in pins, f"{module} is declared to Glue but not what the Glue-runtime tests install"
    jobs = [r for r in built["Resources"].values() if r["Type"] == "AWS::Glue::Job"]
    assert jobs and all(
        j["Properties"]["DefaultArguments"]["--additional-python-modules"] == ",".join(GLUE_PYTHON_MODULES)
        for j in jobs
    )


def test_the_state_machine_may_tag_the_tasks_it_starts(built):
    definition = state_machine.definition()
    assert any(s.get("Parameters", {}).get("PropagateTags") for s in definition["States"].values())
    statements = built["Resources"]["StateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    [tagging] = [s for s in statements if "ecs:TagResource" in s["Action"]]
    assert tagging["Condition"] == {"StringEquals": {"ecs:CreateAction": "RunTask"}}


def test_a_failed_glue_job_is_not_rerun_only_a_timed_out_one():
    definition = state_machine.definition()
    tasks = {}
    for state in definition["States"].values():
        for branch in state.get("Branches", []):
            tasks.update(branch["States"])
    tasks.update(definition["States"])
    glue_steps = [s for s in STEPS if s.platform is Platform.GLUE_JOB]
    assert glue_steps
    for step in glue_steps:
        retried = {error for rule in tasks[step.name]["Retry"] for error in rule["ErrorEquals"]}
        assert "States.TaskFailed" not in retried and "States.Timeout" in retried


def _dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, argument) pairs, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(x for x in text.splitlines() if not x.lstrip().startswith("#")))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            op, _, arg = line.strip().partition(" ")
            pairs.append((op.upper(), " ".join(arg.split())))
    return pairs


def test_private_subnets_get_every_endpoint_the_task_needs_when_there_is_no_nat(built):
    """AssignPublicIp is DISABLED: with VpcId given, the stack creates a route to each service the task calls."""
    assert all(
        s["Parameters"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
        for s in state_machine.definition()["States"].values()
        if s.get("Resource") == "arn:aws:states:::ecs:runTask.sync"
    )
    endpoints = [r for r in built["Resources"].values() if r["Type"] == "AWS::EC2::VPCEndpoint"]
    prefix = "com.amazonaws.${AWS::Region}."
    services = {r["Properties"]["ServiceName"]["Fn::Sub"].removeprefix(prefix) for r in endpoints}
    # image pull (ECR api + dkr, layers from S3), the secret, the logs, the quarantine metric, the lake (S3)
    assert services == {"ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "monitoring"}
    assert all(r["Condition"] == "CreateVpcEndpoints" for r in endpoints)
    assert built["Conditions"]["CreateVpcEndpoints"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "VpcId"}, ""]}]}
    interface = [r["Properties"] for r in endpoints if r["Properties"]["VpcEndpointType"] == "Interface"]
    assert len(interface) == 5
    assert all(p["PrivateDnsEnabled"] and p["SubnetIds"] == {"Ref": "SubnetIds"} for p in interface)


def test_a_run_started_during_another_waits_for_it_instead_of_colliding(built):
    """The schedule and an upload can start executions minutes apart; with one Glue run per job, the later one
    used to fail after its retries. Now every execution first waits until it is the oldest one running."""
    states = state_machine.definition()["States"]
    assert states[state_machine.PREPARE]["Next"] == state_machine.QUEUE_LIST
    assert states[state_machine.PREPARE]["Parameters"]["execution.$"] == "$$.Execution.Id"
    listing = states[state_machine.QUEUE_LIST]
    assert listing["Resource"] == "arn:aws:states:::aws-sdk:sfn:listExecutions"
    assert listing["Parameters"]["StateMachineArn.$"] == "$$.StateMachine.Id"
    assert listing["Parameters"]["StatusFilter"] == "RUNNING"
    # ListExecutions returns the newest first: the last one is the oldest still running.
    assert listing["ResultSelector"] == {"oldest.$": "$.Executions[-1:].ExecutionArn"}
    check = states[listing["Next"]]
    first_step = next(s.name for s in STEPS if s.platform is not Platform.LOCAL_ONLY)
    assert [c["Next"] for c in check["Choices"]] == [first_step, first_step]
    assert check["Choices"][1]["StringEqualsPath"] == "$.execution"
    assert states[check["Default"]]["Type"] == "Wait" and states[check["Default"]]["Next"] == state_machine.QUEUE_LIST
    statements = built["Resources"]["StateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    [listing_allowed] = [s for s in statements if s["Action"] == ["states:ListExecutions"]]
    assert listing_allowed["Resource"]["Fn::Sub"].endswith(":stateMachine:supplychain-${EnvironmentName}-pipeline")
    machine_name = built["Resources"]["PipelineStateMachine"]["Properties"]["StateMachineName"]
    assert machine_name == {"Fn::Sub": "supplychain-${EnvironmentName}-pipeline"}


def test_the_pipeline_task_measures_freshness_against_the_wall_clock(built):
    """The freshness step defaults to the latest landed drop (replays, the laptop's sample): on AWS that let a run
    pass when every feed stopped at once. The task sets the clock the README promises."""
    [container] = built["Resources"][names.TASK_DEFINITION]["Properties"]["ContainerDefinitions"]
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert environment["SUPPLYCHAIN_FRESHNESS_CLOCK"] == "now"


def test_a_vpc_without_route_tables_is_refused_before_anything_is_created(built):
    """VpcId without PrivateRouteTableIds sent RouteTableIds [""] to the S3 gateway endpoint, which failed mid-way
    through the stack's creation."""
    assert rules_pass(built)  # no VpcId: a NAT gateway, no endpoints
    assert not rules_pass(built, VpcId="vpc-1")
    assert rules_pass(built, VpcId="vpc-1", PrivateRouteTableIds="rtb-1,rtb-2")


def test_the_schedule_and_the_upload_rule_wait_for_the_first_image(built):
    """Both rules were enabled on the first deploy, before the image was pushed and the COPY role attached: the
    first scheduled run failed and alerted. They follow PipelineTriggers, DISABLED until the README says to switch."""
    resources = built["Resources"]
    assert built["Parameters"]["PipelineTriggers"]["Default"] == "DISABLED"
    for rule in ("DailyScheduleRule", "RawUploadRule"):
        assert resources[rule]["Properties"]["State"] == {"Ref": "PipelineTriggers"}
    assert resources["CrawlerFailedRule"]["Properties"]["State"] == "ENABLED"  # an alert, not a run


def test_the_state_machine_times_out_a_glue_step_before_glue_does(built):
    """Glue's job timeout equalled the task's TimeoutSeconds, so the two raced: the step now times out first
    (States.Timeout, retried), and Glue's limit only ends a run nobody waits for."""
    definition = state_machine.definition()
    tasks = dict(definition["States"])
    for state in definition["States"].values():
        for branch in state.get("Branches", []):
            tasks.update(branch["States"])
    for step in [s for s in STEPS if s.platform is Platform.GLUE_JOB]:
        job = built["Resources"][names.glue_job_key(step.ingestion_job)]["Properties"]
        assert job["Timeout"] * 60 > tasks[step.name]["TimeoutSeconds"] + 60 * 5, step.name


def test_raw_drops_stay_readable_for_a_full_refresh(built):
    """raw/ went to Glacier Flexible Retrieval after 180 days, and a --full-refresh then failed on those drops
    with InvalidObjectState; every class raw/ moves to now serves a GET at once."""
    rules = built["Resources"]["DataLakeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    [raw] = [r for r in rules if r.get("Prefix") == "raw/"]
    instantly_readable = {"STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"}
    assert {t["StorageClass"] for t in raw["Transitions"]} <= instantly_readable
    [staging] = [r for r in rules if r.get("Prefix") == "processed/_staging/"]
    assert staging["ExpirationInDays"] > 0


def test_glue_job_logs_go_to_the_stacks_groups_with_a_retention(built):
    """Glue 5.0 logs to /aws-glue/jobs/output and /error, which keep everything forever; each job names the
    stack's own groups (<prefix>/output, <prefix>/error), which expire with LogRetentionDays."""
    resources = built["Resources"]
    groups = {
        r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    for step in [s for s in STEPS if s.platform is Platform.GLUE_JOB]:
        prefix = resources[names.glue_job_key(step.ingestion_job)]["Properties"]["DefaultArguments"]
        prefix = prefix["--custom-logGroup-prefix"]["Fn::Sub"]
        for stream in ("output", "error"):
            assert groups[f"{prefix}/{stream}"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
