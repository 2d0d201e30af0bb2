"""VPC endpoints for the Fargate tasks' private subnets, when the VPC has no NAT gateway.

The tasks run with no public IP (AssignPublicIp DISABLED): to pull the image, read the secret, write logs and the
lake and publish the quarantine metric they need a route to ECR, S3, CloudWatch Logs, Secrets Manager and
CloudWatch. Either the subnets route through a NAT gateway (then leave VpcId empty), or the stack creates these
endpoints (VpcId and PrivateRouteTableIds given). The tasks reach Redshift inside the VPC.
"""

from __future__ import annotations

from typing import Any

from orchestration.template.cfn import ref, sub

# Interface endpoints the task needs; S3 (image layers and the lake) is the gateway endpoint beside them.
INTERFACE_SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "monitoring")


def network() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "EndpointSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Condition": "CreateVpcEndpoints",
            "Properties": {
                "GroupDescription": "HTTPS from the pipeline tasks to the VPC endpoints",
                "VpcId": ref("VpcId"),
                "SecurityGroupIngress": [
                    {
                        "Description": "HTTPS from the pipeline tasks (their first security group)",
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "SourceSecurityGroupId": {"Fn::Select": [0, ref("SecurityGroupIds")]},
                    }
                ],
                "SecurityGroupEgress": [
                    {
                        "Description": "Endpoints answer; they start no connection",
                        "IpProtocol": "-1",
                        "CidrIp": "127.0.0.1/32",
                    }
                ],
            },
        },
        "S3GatewayEndpoint": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Condition": "CreateVpcEndpoints",
            "Properties": {
                "VpcEndpointType": "Gateway",
                "VpcId": ref("VpcId"),
                "ServiceName": sub("com.amazonaws.${AWS::Region}.s3"),
                "RouteTableIds": ref("PrivateRouteTableIds"),
            },
        },
    }
    for service in INTERFACE_SERVICES:
        logical_id = "".join(part.capitalize() for part in service.split(".")) + "Endpoint"
        resources[logical_id] = {
            "Type": "AWS::EC2::VPCEndpoint",
            "Condition": "CreateVpcEndpoints",
            "Properties": {
                "VpcEndpointType": "Interface",
                "VpcId": ref("VpcId"),
                "ServiceName": sub("com.amazonaws.${AWS::Region}." + service),
                "SubnetIds": ref("SubnetIds"),
                "SecurityGroupIds": [ref("EndpointSecurityGroup")],
                "PrivateDnsEnabled": True,
            },
        }
    return resources
