"""The deploy commands against moto: bootstrap, uploads, stack create and update, an execution followed to its end."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zipfile
from io import BytesIO

import pytest

from orchestration import deploy, executions, names, state_machine, uploads
from orchestration.aws import Aws, AwsError
from orchestration.pipeline import INGEST_WAVES
from orchestration.template import template, template_json
from supplychain.cli import main

pytestmark = pytest.mark.aws
STACK_PARAMETERS = {
    "SubnetIds": "subnet-12345678,subnet-87654321",
    "SecurityGroupIds": "sg-12345678",
    "RedshiftHost": "example.redshift.invalid",
    # A test value, not a credential: the secret must carry exactly what the deployer gave.
    "RedshiftPassword": "Test-Only-Pass1",
}


@pytest.fixture
def environment(aws):
    """A fresh environment name per test: each gets its own buckets and stack on the shared moto server."""
    import uuid

    return Aws(environment="t" + uuid.uuid4().hex[:8])


def test_bootstrap_creates_a_private_encrypted_versioned_bucket(aws, environment):
    bucket = deploy.bootstrap(environment)
    s3 = aws("s3")
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert set(deploy.DEPLOYMENT_PREFIXES) <= keys
    assert deploy.bootstrap(environment) == bucket  # running it again changes nothing and does not fail


def test_upload_data_puts_glue_code_and_raw_drops_under_their_keys(aws, environment, tmp_path):
    deploy.bootstrap(environment)
    lake = f"lake-{environment.environment}"
    aws("s3").create_bucket(Bucket=lake)
    raw = tmp_path / "raw"
    drop = raw / "sales" / "year=2025" / "month=06" / "day=30" / "sales_20250630_ab12.csv"
    drop.parent.mkdir(parents=True)
    drop.write_text("order_id,qty\nO1,2\n")
    (raw / "sales" / "_inflight.csv").write_text("skip me")
    summary = uploads.upload_data(environment, raw, lake_bucket=lake)
    s3 = aws("s3")
    code = {o["Key"] for o in s3.list_objects_v2(Bucket=environment.deployment_bucket, Prefix="glue/")["Contents"]}
    assert {f"glue/jobs/{job}.py" for wave in INGEST_WAVES for job in wave} <= code
    package = s3.get_object(Bucket=environment.deployment_bucket, Key=uploads.GLUE_PACKAGE_KEY)["Body"].read()
    assert {"ingestion/glue.py", "foundation/settings.py"} <= set(zipfile.ZipFile(BytesIO(package)).namelist())
    landed = {o["Key"] for o in s3.list_objects_v2(Bucket=lake, Prefix="raw/")["Contents"]}
    assert landed == {"raw/sales/year=2025/month=06/day=30/sales_20250630_ab12.csv", summary.marker}
    assert summary.marker.startswith("raw/_uploads/") and summary.drops_uploaded == 1
    again = uploads.upload_data(environment, raw, lake_bucket=lake)
    assert (again.drops_uploaded, again.drops_skipped, again.marker) == (0, 1, None)  # no new drop, no new run


def test_deploy_creates_the_stack_and_a_run_succeeds(aws, environment, capsys):
    deploy.bootstrap(environment)
    values = glue_resources_for(aws, environment)
    runnable = json.loads(state_machine.substitute(json.dumps(state_machine.moto_definition()), values))
    # moto's CloudFormation ignores DefinitionSubstitutions: the test deploys the moto variant already filled in.
    assert deploy.deploy(environment, template_json(runnable), STACK_PARAMETERS, poll_seconds=0.2) == "CREATE_COMPLETE"
    lake = deploy.stack_outputs(environment)["DataLakeBucketName"]
    assert lake == f"supplychain-{environment.environment}-lake-123456789012-us-east-1"
    prefixes = {o["Key"] for o in aws("s3").list_objects_v2(Bucket=lake)["Contents"]}
    assert set(deploy.LAKE_PREFIXES) <= prefixes
    repository = f"supplychain-{environment.environment}-pipeline"
    [described] = aws("ecr").describe_repositories(repositoryNames=[repository])["repositories"]
    assert described["imageTagMutability"] == "IMMUTABLE"
    # With no RedshiftCopyRoleArn given, the stack's own COPY role is created and named in the outputs. (moto's
    # CloudFormation skips Secrets Manager secrets: test_template_runtime.py resolves the secret's text instead.)
    copy_role = deploy.stack_outputs(environment)["RedshiftCopyRoleArnUsed"]
    assert copy_role.startswith("arn:aws:iam::123456789012:role/")
    trust = aws("iam").get_role(RoleName=copy_role.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "redshift.amazonaws.com"}

    # moto's executor keeps its own store, apart from the machines its CloudFormation makes: register the same
    # definition under the same name there, so the stack's StateMachineArn output resolves to it.
    machine = aws("stepfunctions").create_state_machine(
        name=f"supplychain-{environment.environment}-pipeline",
        definition=json.dumps(runnable),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    assert machine == deploy.stack_outputs(environment)["StateMachineArn"]
    arn = executions.start(environment, run_id="run-42")
    lines = []
    assert executions.follow(environment, arn, poll_seconds=0.5, report=lines.append) == "SUCCEEDED"
    assert any(line.endswith("started   crawl-raw") for line in lines) and lines[-1] == "execution SUCCEEDED"
    history = aws("stepfunctions").get_execution_history(executionArn=arn)["events"]
    assert json.loads(history[0]["executionStartedEventDetails"]["input"]) == {
        "run_id": "run-42",
        "run_date": dt.date.today().isoformat(),
    }

    assert main(["aws", "--environment", environment.environment, "status"]) == 0  # the latest execution
    printed = capsys.readouterr().out
    assert "finished  docs-generate" in printed and printed.rstrip().endswith("execution SUCCEEDED")


def test_deploy_updates_keeps_parameters_and_says_when_nothing_changed(aws, environment):
    # moto cannot update the full template (its update path loses resources it created), so the update flow is
    # exercised on a small one; the full template's creation is tested above.
    deploy.bootstrap(environment)
    first = small_template(retention=60)
    assert deploy.deploy(environment, first, {"Label": "kept"}, poll_seconds=0.2) == "CREATE_COMPLETE"
    assert deploy.deploy(environment, small_template(retention=120), {}, poll_seconds=0.2) == "UPDATE_COMPLETE"
    stack = deploy.describe_stack(environment)
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Label"] == "kept"
    said = []
    deploy.deploy(environment, small_template(retention=120), {}, poll_seconds=0.2, report=said.append)
    assert said == [f"stack {environment.stack_name} is already up to date: nothing to change"]


def test_a_redeploy_without_the_password_keeps_it(aws, environment):
    """On AWS describe_stacks shows a NoEcho parameter as `****`: resending the values it shows (as the update once
    did) sent the mask as the password, which the real template's pattern rejects, so every redeploy without the
    password failed. (moto shows the real value, so the request itself is checked.) Parameters not given are sent
    as UsePreviousValue, and the resource still carries the password the first deploy gave."""
    deploy.bootstrap(environment)
    first = small_template(retention=60, secret=True)
    given = {"Label": "kept", "Secret": "Test-Only-Pass1"}
    assert deploy.deploy(environment, first, given, poll_seconds=0.2) == "CREATE_COMPLETE"
    sent = []
    environment.session.events.register(
        "provide-client-params.cloudformation.UpdateStack", lambda params, **_: sent.append(params["Parameters"])
    )
    again = small_template(retention=120, secret=True)
    assert deploy.deploy(environment, again, {}, poll_seconds=0.2) == "UPDATE_COMPLETE"
    by_key = {p["ParameterKey"]: p for p in sent[0]}
    assert by_key["Secret"] == {"ParameterKey": "Secret", "UsePreviousValue": True}  # no value: not even the mask
    assert by_key["Label"] == {"ParameterKey": "Label", "UsePreviousValue": True}
    queue = aws("cloudformation").describe_stack_resource(StackName=environment.stack_name, LogicalResourceId="Queue")
    url = aws("sqs").get_queue_url(QueueName=queue["StackResourceDetail"]["PhysicalResourceId"].rsplit("/", 1)[-1])
    tags = aws("sqs").list_queue_tags(QueueUrl=url["QueueUrl"])["Tags"]
    assert tags == {"label": "kept", "secret": "Test-Only-Pass1"}


def small_template(retention: int, secret: bool = False) -> str:
    parameters = {
        "Label": {"Type": "String"},
        "EnvironmentName": {"Type": "String"},
        "DeploymentBucket": {"Type": "String"},
    }
    tags = [{"Key": "label", "Value": {"Ref": "Label"}}]
    if secret:
        parameters["Secret"] = {"Type": "String", "NoEcho": True}
        tags.append({"Key": "secret", "Value": {"Ref": "Secret"}})
    return json.dumps(
        {
            "Parameters": parameters,
            "Resources": {
                "Queue": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {"MessageRetentionPeriod": retention, "Tags": tags},
                }
            },
        }
    )


def test_aws_errors_come_back_in_plain_words(aws, environment):
    with pytest.raises(AwsError, match=r"upload the template .*run `supplychain aws bootstrap`.*NoSuchBucket"):
        deploy.deploy(environment, "{}", {})  # no deployment bucket yet
    with pytest.raises(AwsError, match="does not exist: run `supplychain aws deploy` first"):
        executions.start(environment)


def test_an_invalid_template_is_reported_with_the_reason(aws, environment):
    deploy.bootstrap(environment)
    broken = json.dumps(
        {
            "Resources": {
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::GetAtt": ["Missing", "Arn"]}}}
            }
        }
    )
    with pytest.raises(AwsError, match=r"could not create stack .*: ValidationError: .*Missing"):
        deploy.deploy(environment, broken, {}, poll_seconds=0.2)


def test_the_cli_reports_a_bad_parameter(aws):
    assert main(["aws", "deploy", "-p", "no-equals-sign"]) == 2


def glue_resources_for(aws, environment) -> dict[str, str]:
    """What moto's CloudFormation would skip, created with boto3: the crawler and the Glue jobs."""
    env = environment.environment
    glue = aws("glue")
    role = "arn:aws:iam::123456789012:role/glue"
    glue.create_database(DatabaseInput={"Name": f"supplychain_{env}_raw"})
    glue.create_crawler(
        Name=f"supplychain-{env}-raw",
        Role=role,
        DatabaseName=f"supplychain_{env}_raw",
        Targets={"S3Targets": [{"Path": f"s3://supplychain-{env}-lake-123456789012-us-east-1/raw/"}]},
    )
    values = {
        names.CRAWLER: f"supplychain-{env}-raw",
        names.BUCKET: f"supplychain-{env}-lake-123456789012-us-east-1",
        names.SUBNETS: STACK_PARAMETERS["SubnetIds"],
        names.SECURITY_GROUPS: STACK_PARAMETERS["SecurityGroupIds"],
        names.CLUSTER: "unused",
        names.TASK_DEFINITION: "unused",
        names.ALERT_TOPIC: aws("sns").create_topic(Name=f"alerts-{env}")["TopicArn"],
        names.ECS_STAND_IN_QUEUE: aws("sqs").create_queue(QueueName=f"ecs-{env}")["QueueUrl"],
    }
    for wave in INGEST_WAVES:
        for job in wave:
            name = names.glue_job_name(env, job)
            glue.create_job(Name=name, Role=role, Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"})
            values[names.glue_job_key(job)] = name
    return values


@pytest.mark.parametrize(
    ("region", "partition", "host"),
    [
        ("cn-north-1", "aws-cn", "s3.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "aws-us-gov", "s3.us-gov-west-1.amazonaws.com"),
        ("eu-west-1", "aws", "s3.eu-west-1.amazonaws.com"),
    ],
)
def test_the_deploy_commands_name_the_regions_partition(aws, region, partition, host):
    """`arn:aws:` in the bootstrap bucket's policy and `.amazonaws.com` in the template URL failed in China and
    GovCloud: both now come from the region's partition, and the key policy's Logs principal from URLSuffix."""
    environment = Aws(environment="p" + uuid.uuid4().hex[:8], region=region)
    bucket = deploy.bootstrap(environment)
    url = deploy.upload_template(environment, "{}")
    assert url.startswith(f"https://{bucket}.{host}/templates/")
    s3 = environment.client("s3")
    # bootstrap leaves the TLS-only policy out on the tests' plain-http endpoint (it would deny every request)
    deploy.secure_bucket(s3, bucket, tls_only=True, partition=environment.partition)
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Resource"] == [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"]
    statements = template()["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    [logs] = [s for s in statements if "logs." in json.dumps(s.get("Principal"))]
    assert logs["Principal"]["Service"] == {"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"}


def test_a_stack_from_before_pipeline_triggers_keeps_its_rules_on(aws, environment):
    """PipelineTriggers defaults to DISABLED for a new stack's first deployment; a stack created before the
    parameter existed had its schedule on, and an update that does not name it keeps it on."""
    deploy.bootstrap(environment)
    assert deploy.deploy(environment, small_template(retention=60), {"Label": "x"}, poll_seconds=0.2) == (
        "CREATE_COMPLETE"
    )
    newer = json.loads(small_template(retention=120))
    newer["Parameters"]["PipelineTriggers"] = {"Type": "String", "Default": "DISABLED"}
    newer["Resources"]["Queue"]["Properties"]["Tags"].append({"Key": "triggers", "Value": {"Ref": "PipelineTriggers"}})
    assert deploy.deploy(environment, json.dumps(newer), {}, poll_seconds=0.2) == "UPDATE_COMPLETE"
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in deploy.describe_stack(environment)["Parameters"]}
    assert shown["PipelineTriggers"] == "ENABLED" and shown["Label"] == "x"
    newer["Resources"]["Queue"]["Properties"]["MessageRetentionPeriod"] = 180
    deploy.deploy(environment, json.dumps(newer), {"PipelineTriggers": "DISABLED"}, poll_seconds=0.2)
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in deploy.describe_stack(environment)["Parameters"]}
    assert shown["PipelineTriggers"] == "DISABLED"  # once the stack has it, its value is kept or given
