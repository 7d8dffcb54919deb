"""LustreFileSystem: FSx for Lustre in the EFA nodes' zone, reachable only from the nodes."""

import dataclasses

import pytest

from modules.lustre_file_system import LustreFileSystem, LustreFileSystemProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import CLUSTER_SECURITY_GROUP_ID, VPC_ID, context_for, synth_alone

SUBNET = "subnet-0aaaabbbbccccdddd"


def build_with(fsx):
    def build(scope):
        return LustreFileSystem(
            scope,
            "lustre",
            props=LustreFileSystemProps(
                context=context_for(plan_for("p5-training.yaml")),
                plan=fsx,
                vpc_id=VPC_ID,
                subnet_id=SUBNET,
                client_security_group_id=CLUSTER_SECURITY_GROUP_ID,
            ),
        )

    return build


@pytest.fixture(scope="module")
def persistent():
    return synth_alone(build_with(plan_for("p5-training.yaml").storage.fsx))


@pytest.fixture(scope="module")
def scratch():
    fsx = plan_for("p5-training.yaml").storage.fsx
    return synth_alone(
        build_with(dataclasses.replace(fsx, deployment_type="SCRATCH_2", throughput_mib_per_tib=None, storage_capacity_gib=1200))
    )


def test_persistent_file_system_is_encrypted_with_a_rotating_key_in_one_subnet(persistent):
    fs = persistent.resource("aws_fsx_lustre_file_system")
    assert fs["kms_key_id"] == f"${{{persistent.only_address('aws_kms_key')}.arn}}"
    assert persistent.resource("aws_kms_key")["enable_key_rotation"] is True
    assert fs["subnet_ids"] == [SUBNET] and fs["deployment_type"] == "PERSISTENT_2"
    assert fs["per_unit_storage_throughput"] == 500 and fs["storage_capacity"] == 4800
    assert fs["security_group_ids"] == [f"${{{persistent.only_address('aws_security_group')}.id}}"]


def test_persistent_links_s3_through_an_association_not_the_import_path(persistent):
    fs = persistent.resource("aws_fsx_lustre_file_system")
    assert "import_path" not in fs and "auto_import_policy" not in fs
    link = persistent.resource("aws_fsx_data_repository_association")
    assert link["data_repository_path"] == "s3://example-training-datasets/imagenet"
    assert link["s3"]["auto_import_policy"]["events"] == ["NEW", "CHANGED", "DELETED"]
    # Without it the association imports only what is written after it exists (FSx API reference,
    # CreateDataRepositoryAssociation, BatchImportMetaDataOnCreate: "Default is false").
    assert link["batch_import_meta_data_on_create"] is True
    assert link["file_system_path"] == "/"


# FSx for Lustre user guide, "File system access control with Amazon VPC": TCP 988 and
# 1018-1023, in and out of the file system's group, from and to itself and the clients' groups;
# the clients' groups admit both from the file system's group.
LUSTRE_PORT_RANGES = {(988, 988), (1018, 1023)}


def rules(spec, kind):
    return {
        (r["from_port"], r["to_port"], r["security_group_id"], r["referenced_security_group_id"])
        for r in spec.resources(kind).values()
    }


def test_only_the_nodes_and_the_file_servers_reach_the_lustre_ports(persistent):
    group = f"${{{persistent.only_address('aws_security_group')}.id}}"
    nodes = CLUSTER_SECURITY_GROUP_ID
    assert rules(persistent, "aws_vpc_security_group_ingress_rule") == {
        *((low, high, group, source) for low, high in LUSTRE_PORT_RANGES for source in (nodes, group)),
        *((low, high, nodes, group) for low, high in LUSTRE_PORT_RANGES),
    }
    assert all(
        r["ip_protocol"] == "tcp" and "cidr_ipv4" not in r
        for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
        for r in persistent.resources(kind).values()
    )


def test_a_terraform_made_group_sends_lustre_traffic_to_the_nodes_and_its_own_servers(persistent):
    """Terraform removes the allow-all egress rule AWS adds to a new group, so the guide's outbound rules are needed."""
    group = f"${{{persistent.only_address('aws_security_group')}.id}}"
    assert rules(persistent, "aws_vpc_security_group_egress_rule") == {
        (low, high, group, target) for low, high in LUSTRE_PORT_RANGES for target in (CLUSTER_SECURITY_GROUP_ID, group)
    }


@pytest.mark.parametrize("fixture", ["persistent", "scratch"])
def test_the_file_system_is_created_after_every_security_group_rule(fixture, request):
    """FSx checks the rules at creation: made in parallel, it fails on port 988 (aws-parallelcluster#6181)."""
    spec = request.getfixturevalue(fixture)
    addresses = {
        f"{kind}.{key}"
        for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
        for key in spec.resources(kind)
    }
    assert len(addresses) == 10
    assert addresses <= set(spec.resource("aws_fsx_lustre_file_system").get("depends_on", []))


def test_scratch_takes_no_customer_key_and_imports_through_the_file_system(scratch):
    fs = scratch.resource("aws_fsx_lustre_file_system")
    assert "aws_kms_key" not in scratch.kinds() and "kms_key_id" not in fs
    assert fs["import_path"] == "s3://example-training-datasets/imagenet"
    assert fs["auto_import_policy"] == "NEW_CHANGED_DELETED"
    assert "aws_fsx_data_repository_association" not in scratch.kinds()
    assert "per_unit_storage_throughput" not in fs
