"""The emulator answers a revoke of a gone security group rule as AWS does (tools/emulator_server.py)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tools.emulator import MotoServer


@pytest.fixture(scope="module")
def ec2(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as moto:
        yield boto3.client(
            "ec2", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )


def error_code(call) -> str:
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["Error"]["Code"]


def test_a_second_revoke_by_rule_id_is_answered_as_gone_which_terraform_takes_as_deleted(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="efa", Description="efa", VpcId=vpc)["GroupId"]
    permission = {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}
    (rule,) = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])["SecurityGroupRules"]
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    again = lambda: ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])  # noqa: E731
    assert error_code(again) == "InvalidSecurityGroupRuleId.NotFound"
    # A revoke by protocol and source is answered as before, as AWS does.
    assert error_code(lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[permission])) == (
        "InvalidPermission.NotFound"
    )
    (out,) = ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[permission])["SecurityGroupRules"]
    ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=[out["SecurityGroupRuleId"]])
    gone = lambda: ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=[out["SecurityGroupRuleId"]])  # noqa: E731
    assert error_code(gone) == "InvalidSecurityGroupRuleId.NotFound"
