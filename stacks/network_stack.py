from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from cluster_config.plan import ClusterPlan
from modules.network import Network, NetworkProps

from .common import aws_access, state_backend
from .network_refs import NetworkRefs


class NetworkStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, plan: ClusterPlan) -> None:
        super().__init__(scope, id_)
        assert plan.network is not None
        state_backend(self, plan, "network")
        aws_access(self, plan)
        self.network = network = Network(self, "network", props=NetworkProps(plan=plan.network))
        TerraformOutput(self, "vpc_id", value=network.vpc.id, description="VPC id")
        TerraformOutput(
            self, "private_subnet_ids", value=network.private_subnet_ids, description="Private subnets, one per AZ, for nodes"
        )
        TerraformOutput(
            self,
            "public_subnet_ids",
            value=network.public_subnet_ids,
            description="Public subnets, for NAT gateways and internet-facing load balancers",
        )

    @property
    def refs(self) -> NetworkRefs:
        return NetworkRefs(
            vpc_id=self.network.vpc.id,
            private_subnet_ids=self.network.private_subnet_ids,
            subnet_ids_by_zone={zone: [subnet.id] for zone, subnet in self.network.private_subnets.items()},
        )
