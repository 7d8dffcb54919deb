from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from cluster_config.model import ClusterConfig
from cluster_config.plan import network_plan
from modules.network import Network

from .common import aws_provider, state_backend


class NetworkStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, config: ClusterConfig) -> None:
        super().__init__(scope, id_)
        state_backend(self, config, "network")
        aws_provider(self, config)
        self.network = Network(self, "network", plan=network_plan(config))
        TerraformOutput(self, "vpc_id", value=self.network.vpc.id, description="VPC id")
        TerraformOutput(self, "private_subnet_ids", value=self.network.private_subnet_ids, description="Private subnets, one per AZ, for nodes")
        TerraformOutput(self, "public_subnet_ids", value=self.network.public_subnet_ids, description="Public subnets, for NAT gateways and internet-facing load balancers")
