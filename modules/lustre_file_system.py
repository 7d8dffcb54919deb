"""A shared FSx for Lustre file system for training data, next to the GPU nodes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from cluster_config.context import AwsContext
from cluster_config.plan.storage import FsxPlan

from . import bindings as aws
from .rotating_key import RotatingKey, RotatingKeyProps

# Lustre's ports: 988 for LNet, 1018-1023 for its connections. FSx for Lustre user guide,
# "File system access control with Amazon VPC": the file system's group admits both from
# itself and from the clients' groups, and (when it does not allow all outbound traffic, as
# a Terraform-made group does not) sends both to itself and to the clients' groups; the
# clients' groups ("Lustre client VPC security group rules") admit both from the file
# system's group and from themselves, and send both to either. The servers open
# connections to the clients too (lock callbacks, reconnects), hence the client-side
# inbound rules.
LUSTRE_PORTS = ((988, 988), (1018, 1023))


@dataclass(frozen=True, kw_only=True)
class LustreFileSystemProps:
    context: AwsContext
    plan: FsxPlan
    vpc_id: str
    subnet_id: str  # a private subnet in plan.availability_zone
    client_security_group_id: str  # carried by every node (the EKS cluster security group)


class LustreFileSystem(Construct):
    """The file system lives in one private subnet, the AZ of the EFA nodes that read it.

    * Its security group admits and sends Lustre traffic only to and from the nodes'
      security group and its own servers, and the nodes' group admits the servers; the
      file system is created after every one of these rules.
    * PERSISTENT_2 is encrypted with a customer-managed key that rotates; SCRATCH_2
      takes no customer key (FSx encrypts it with a key of its own).
    * With ``import_path`` the S3 prefix appears as files: PERSISTENT_2 links it
      through a data repository association that imports new, changed and deleted
      objects; SCRATCH_2 through the file system's import path.
    """

    def __init__(self, scope: Construct, id_: str, *, props: LustreFileSystemProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        plan = props.plan
        name = f"{props.context.name}-fsx-lustre"
        self.security_group = sg = aws.SecurityGroup(
            self,
            "sg",
            name=name,
            vpc_id=props.vpc_id,
            description=f"Lustre traffic to {name} from the cluster's nodes",
            tags={"Name": name},
        )
        clients = props.client_security_group_id
        self.rules: list[aws.VpcSecurityGroupIngressRule | aws.VpcSecurityGroupEgressRule] = []
        for low, high in LUSTRE_PORTS:
            ports: dict[str, Any] = {"ip_protocol": "tcp", "from_port": low, "to_port": high}
            for source, label in ((clients, "nodes"), (sg.id, "self")):
                self.rules.append(
                    aws.VpcSecurityGroupIngressRule(
                        self,
                        f"lustre_{low}_from_{label}",
                        security_group_id=sg.id,
                        referenced_security_group_id=source,
                        description=f"Lustre {low}-{high} from the {label}",
                        **ports,
                    )
                )
                self.rules.append(
                    aws.VpcSecurityGroupEgressRule(
                        self,
                        f"lustre_{low}_to_{label}",
                        security_group_id=sg.id,
                        referenced_security_group_id=source,
                        description=f"Lustre {low}-{high} to the {label}",
                        **ports,
                    )
                )
            # The client side. The nodes carry the EKS cluster security group, which already
            # admits all traffic from itself and sends all traffic anywhere (EKS user guide,
            # "View Amazon EKS security group requirements for clusters"), so the guide's
            # client-to-client rules and client outbound rules hold; only the file servers'
            # inbound connections are missing.
            self.rules.append(
                aws.VpcSecurityGroupIngressRule(
                    self,
                    f"nodes_lustre_{low}_from_fsx",
                    security_group_id=clients,
                    referenced_security_group_id=sg.id,
                    description=f"Lustre {low}-{high} from {name}",
                    **ports,
                )
            )

        persistent = plan.deployment_type == "PERSISTENT_2"
        key = None
        if persistent:
            key = RotatingKey(
                self,
                "key",
                props=RotatingKeyProps(
                    context=props.context,
                    description=f"{props.context.name} FSx for Lustre",
                    alias=name,
                ),
            )
        scratch_import = plan.import_path if plan.import_path and not persistent else None
        self.file_system = aws.FsxLustreFileSystem(
            self,
            "this",
            storage_capacity=plan.storage_capacity_gib,
            deployment_type=plan.deployment_type,
            per_unit_storage_throughput=plan.throughput_mib_per_tib,
            subnet_ids=[props.subnet_id],
            security_group_ids=[sg.id],
            kms_key_id=key.arn if key else None,
            file_system_type_version="2.15",
            data_compression_type="LZ4",
            import_path=scratch_import,
            auto_import_policy="NEW_CHANGED_DELETED" if scratch_import else None,
            tags={"Name": name},
            # FSx checks the group's rules when it creates the file system and fails with
            # "...do not permit Lustre LNET network traffic on port 988" if they are not there
            # yet (FSx for Lustre user guide, "Creating an FSx for Lustre file system fails";
            # aws/aws-parallelcluster#6181, fixed by #6342 with the same dependency). The file
            # system references only the group's id, so without this Terraform creates the
            # rules and the file system at the same time.
            depends_on=[*depends_on, *self.rules],
        )
        if plan.data_repository_association:
            assert plan.import_path is not None  # an association is planned only for a linked bucket
            aws.FsxDataRepositoryAssociation(
                self,
                "s3_link",
                file_system_id=self.file_system.id,
                file_system_path="/",
                data_repository_path=plan.import_path,
                batch_import_meta_data_on_create=True,
                s3=aws.FsxDataRepositoryAssociationS3(
                    auto_import_policy=aws.FsxDataRepositoryAssociationS3AutoImportPolicy(
                        events=["NEW", "CHANGED", "DELETED"],
                    )
                ),
            )

    @property
    def id(self) -> str:
        return self.file_system.id

    @property
    def dns_name(self) -> str:
        return self.file_system.dns_name

    @property
    def mount_name(self) -> str:
        return self.file_system.mount_name
