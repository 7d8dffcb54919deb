"""ExistingSubnets: which of the user's own subnets lie in a zone, looked up at plan time."""

import pytest
from cdktf import TerraformOutput

from modules.existing_subnets import ExistingSubnets, ExistingSubnetsProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import synth_alone

ZONES = ("eu-west-1b", "eu-west-1c")


@pytest.fixture(scope="module")
def spec():
    existing = plan_for("existing-vpc.yaml").existing_vpc

    def build(scope):
        lookups = {
            zone: ExistingSubnets(
                scope,
                f"private_subnets_{zone}",
                props=ExistingSubnetsProps(
                    private_subnet_ids=existing.private_subnet_ids,
                    availability_zone=zone,
                ),
            )
            for zone in ZONES
        }
        for zone, lookup in lookups.items():
            TerraformOutput(scope, f"ids_{zone}", value=lookup.ids)  # what a node group in that zone receives
        return lookups

    return synth_alone(build)


def test_one_construct_per_zone_whose_lookup_keeps_the_address_it_always_had(spec):
    # The lookup is the construct's default child, so its address is the construct's id.
    assert all(lookup.node.path == f"spec/private_subnets_{zone}" for zone, lookup in spec.construct.items())
    assert sorted(spec.data_sources("aws_subnets")) == ["private_subnets_eu-west-1b", "private_subnets_eu-west-1c"]


@pytest.mark.parametrize("zone", ZONES)
def test_each_lookup_is_limited_to_the_users_subnets_in_its_zone(spec, zone):
    spec.expect_data_source(
        "aws_subnets",
        {
            "filter": [
                {
                    "name": "subnet-id",
                    "values": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"],
                },
                {"name": "availability-zone", "values": [zone]},
            ]
        },
    )


def test_a_zone_gets_the_ids_its_own_lookup_finds(spec):
    assert spec.doc["output"]["ids_eu-west-1b"]["value"] == "${data.aws_subnets.private_subnets_eu-west-1b.ids}"
    assert spec.doc["output"]["ids_eu-west-1c"]["value"] == "${data.aws_subnets.private_subnets_eu-west-1c.ids}"
