"""Orchestration: one pipeline definition, run locally or on AWS.

pipeline.py       the steps, their order, where each runs, retries and time limits (the single definition)
step_actions.py   what each step does (the entry point it names), for the local runner and the container alike
local_runner.py   `supplychain run`: the steps walked on this machine, with run records (run_records.py)
state_machine.py  the Step Functions definition generated from it (and a variant moto can execute)
template/         the CloudFormation template: lake, Glue, ECS, IAM, state machine, EventBridge, SNS, alarms
aws.py            boto3 clients (endpoint override for tests) and AWS errors in plain words
deploy.py         `supplychain aws bootstrap` and `deploy`
uploads.py        `supplychain aws upload-data`
executions.py     `supplychain aws start` and `status`
cli.py            the `supplychain aws ...` commands
docker/           the pipeline image and its entry script
"""
