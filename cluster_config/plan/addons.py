"""EKS managed add-ons: which, in which phase, with what configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import names


@dataclass(frozen=True, kw_only=True)
class AddonPlan:
    name: str
    # vpc-cni must run before a node can become Ready and the Pod Identity agent
    # before any workload asks for credentials; the rest need nodes to run on, so
    # they wait for the system node group.
    before_nodes: bool
    configuration: dict | None = field(default=None, hash=False)  # the add-on's configuration_values
    # The add-on's own service account, given an IAM role through Pod Identity by
    # the cluster stack; None: the add-on needs no AWS access of its own.
    service_account: str | None = None


def addons_plan(*, node_repair: bool, checkpoints: bool, fsx: bool) -> tuple[AddonPlan, ...]:
    addons = [
        AddonPlan(name="vpc-cni", before_nodes=True),
        AddonPlan(name="eks-pod-identity-agent", before_nodes=True),
        AddonPlan(name="kube-proxy", before_nodes=True),
        AddonPlan(name="coredns", before_nodes=False),
    ]
    if node_repair:
        # Reports GPU (XID, NVLink), network, kernel, storage and container-runtime
        # faults as node conditions, which node auto repair acts on.
        addons.append(AddonPlan(name="eks-node-monitoring-agent", before_nodes=False))
    if checkpoints:
        # Mounts the checkpoint bucket; its node plugin makes the S3 calls, with the
        # role the cluster stack scopes to that bucket.
        addons.append(AddonPlan(name="aws-mountpoint-s3-csi-driver", before_nodes=False,
                                service_account=names.MOUNTPOINT_SERVICE_ACCOUNT))
    if fsx:
        # Mounts the Lustre file system; static volumes need no AWS access of their own.
        addons.append(AddonPlan(name="aws-fsx-csi-driver", before_nodes=False))
    return tuple(addons)
