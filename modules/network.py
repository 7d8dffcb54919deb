"""VPC with public and private subnets in every AZ, NAT, VPC endpoints and flow logs."""

from __future__ import annotations

from constructs import Construct

from dataclasses import dataclass

from cluster_config import names
from cluster_config.context import AwsContext
from cluster_config.plan.network import GATEWAY_ENDPOINTS, NetworkPlan

from . import bindings as aws
from .encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from .iam import assume_role_policy, policy_document
from .rotating_key import RotatingKey, RotatingKeyProps


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    plan: NetworkPlan


class Network(Construct):
    """Creates the VPC the cluster lives in.

    Private subnets hold nodes and get the internal-ELB role tag; public subnets
    hold NAT gateways and internet-facing load balancers and never assign public
    IPs on launch. The default security group is emptied so nothing can use it by
    accident, and all traffic is recorded by VPC flow logs into a log group
    encrypted with its own rotating KMS key.
    """

    def __init__(self, scope: Construct, id_: str, *, props: NetworkProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        plan = props.plan
        name = plan.name
        self.vpc = aws.Vpc(
            self,
            "vpc",
            cidr_block=plan.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
        )
        aws.DefaultSecurityGroup(self, "default_sg", vpc_id=self.vpc.id, tags={"Name": f"{name}-default-unused"})

        self.private_subnets: dict[str, aws.Subnet] = {}
        self.public_subnets: dict[str, aws.Subnet] = {}
        for subnet in plan.subnets:
            az = subnet.availability_zone
            self.private_subnets[az] = aws.Subnet(
                self,
                f"private_{az}",
                vpc_id=self.vpc.id,
                availability_zone=az,
                cidr_block=subnet.private_cidr,
                tags={"Name": f"{name}-private-{az}", names.INTERNAL_ELB_SUBNET_TAG: "1"},
            )
            self.public_subnets[az] = aws.Subnet(
                self,
                f"public_{az}",
                vpc_id=self.vpc.id,
                availability_zone=az,
                cidr_block=subnet.public_cidr,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{az}", names.PUBLIC_ELB_SUBNET_TAG: "1"},
            )

        igw = aws.InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"})
        public_rt = aws.RouteTable(self, "public_rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"})
        aws.Route(self, "public_default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)
        for az, public in self.public_subnets.items():
            aws.RouteTableAssociation(self, f"public_{az}_rta", subnet_id=public.id, route_table_id=public_rt.id)

        azs = list(plan.availability_zones)
        nat_azs = azs[: plan.nat_gateway_count]
        nat_by_az = {}
        for az in nat_azs:
            eip = aws.Eip(self, f"nat_{az}_eip", domain="vpc", tags={"Name": f"{name}-nat-{az}"}, depends_on=[igw])
            nat_by_az[az] = aws.NatGateway(
                self,
                f"nat_{az}",
                allocation_id=eip.id,
                subnet_id=self.public_subnets[az].id,
                tags={"Name": f"{name}-nat-{az}"},
            )

        self.private_route_tables = []
        for az, private in self.private_subnets.items():
            rt = aws.RouteTable(self, f"private_{az}_rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-private-{az}"})
            nat = nat_by_az.get(az) or (nat_by_az[nat_azs[0]] if nat_azs else None)
            if nat is not None:
                aws.Route(
                    self, f"private_{az}_default", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id
                )
            aws.RouteTableAssociation(self, f"private_{az}_rta", subnet_id=private.id, route_table_id=rt.id)
            self.private_route_tables.append(rt)

        self._endpoints(plan)
        self._flow_logs(plan)

    @property
    def private_subnet_ids(self) -> list[str]:
        return [s.id for s in self.private_subnets.values()]

    @property
    def public_subnet_ids(self) -> list[str]:
        return [s.id for s in self.public_subnets.values()]

    def _endpoints(self, plan: NetworkPlan) -> None:
        interface = plan.interface_endpoints
        if interface:
            sg = aws.SecurityGroup(
                self,
                "endpoints_sg",
                name=f"{plan.name}-vpc-endpoints",
                vpc_id=self.vpc.id,
                description="HTTPS from inside the VPC to interface VPC endpoints",
                tags={"Name": f"{plan.name}-vpc-endpoints"},
            )
            aws.VpcSecurityGroupIngressRule(
                self,
                "endpoints_https",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=plan.vpc_cidr,
                description="HTTPS from the VPC",
            )
        for service in plan.vpc_endpoints:
            service_name = f"com.amazonaws.{plan.region}.{service}"
            label = service.replace(".", "_").replace("-", "_")
            if service in GATEWAY_ENDPOINTS:
                aws.VpcEndpoint(
                    self,
                    f"endpoint_{label}",
                    vpc_id=self.vpc.id,
                    service_name=service_name,
                    vpc_endpoint_type="Gateway",
                    route_table_ids=[rt.id for rt in self.private_route_tables],
                    tags={"Name": f"{plan.name}-{service}"},
                )
            else:
                aws.VpcEndpoint(
                    self,
                    f"endpoint_{label}",
                    vpc_id=self.vpc.id,
                    service_name=service_name,
                    vpc_endpoint_type="Interface",
                    subnet_ids=self.private_subnet_ids,
                    security_group_ids=[sg.id],
                    private_dns_enabled=True,
                    tags={"Name": f"{plan.name}-{service}"},
                )

    def _flow_logs(self, plan: NetworkPlan) -> None:
        account = aws.DataAwsCallerIdentity(self, "account")
        context = AwsContext(name=plan.name, region=plan.region, partition=plan.partition, account_id=account.account_id)
        name = f"/aws/vpc/{plan.name}/flow-logs"
        key = RotatingKey(
            self,
            "flow_logs_key",
            props=RotatingKeyProps(
                context=context,
                description=f"{plan.name} VPC flow logs",
                alias=f"{plan.name}-flow-logs",
                service_statements=(EncryptedLogGroup.key_statement(context, name),),
            ),
        )
        log_group = EncryptedLogGroup(
            self,
            "flow_logs",
            props=EncryptedLogGroupProps(
                context=context,
                name=name,
                retention_days=plan.flow_logs_retention_days,
                key=key,
            ),
        )
        role = aws.IamRole(
            self,
            "flow_logs_role",
            name_prefix=f"{plan.name}-flow-logs-",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"),
        )
        aws.IamRolePolicy(
            self,
            "flow_logs_write",
            role=role.id,
            name="write-flow-logs",
            policy=policy_document(
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": f"{log_group.arn}:*",
                }
            ),
        )
        aws.FlowLog(
            self,
            "flow_log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{plan.name}-flow-log"},
        )
