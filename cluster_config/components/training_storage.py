"""The shared storage in every training namespace: claims on the checkpoint bucket and the Lustre file system.

Static volumes (a PersistentVolume binds one claim), all pointing at the same bucket
or file system: for the bucket one per namespace and GPU group, for the file system one
per namespace. The bucket and file system are made by the cluster stack, so their names
reach the manifests at apply time (``cluster_config.inputs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import math

from .. import catalog, names
from ..inputs import FROM_CLUSTER
from . import kubeflow_trainer
from .contract import Grant, HelmComponent, PlanBasis, PodIdentity
from .release_spec import MANIFESTS_CHART, ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

# A static volume's size is not enforced by either driver; Kubernetes needs one to bind.
NOMINAL_SIZE = "1Ti"


def _volume_and_claim(
    *, volume_name: str, claim: str, namespace: str, csi: dict, mount_options: list[str] | None = None
) -> list[dict]:
    volume_spec = {
        "capacity": {"storage": NOMINAL_SIZE},
        "accessModes": ["ReadWriteMany"],
        # Deleting a claim must never delete checkpoints or a dataset.
        "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": "",
        "claimRef": {"namespace": namespace, "name": claim},
        "csi": csi,
    }
    if mount_options:
        volume_spec["mountOptions"] = mount_options
    return [
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": volume_name}, "spec": volume_spec},
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim, "namespace": namespace},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "volumeName": volume_name,
                "resources": {"requests": {"storage": NOMINAL_SIZE}},
            },
        },
    ]


def mountpoint_throughput_gbps(group: GpuNodeGroupPlan) -> int:
    """Mountpoint's throughput target on this group's nodes, which it cannot find out itself.

    Mountpoint sizes its parallel S3 requests to a target throughput: the instance's network
    bandwidth, looked up from its instance type, which it reads from IMDS, and 10 Gbps when
    that fails (awslabs/mountpoint-s3 v1.23.0 = 4f38ff8, mountpoint-s3/src/cli.rs 782-790 and
    mountpoint-s3-fs/src/s3/config.rs 127). The CSI driver v2 runs Mountpoint in a pod of its
    own, not on the host network, and a pod reaches IMDS only with a hop limit of 2 or more
    (awslabs/mountpoint-s3-csi-driver v2.7.0 = a2d4b06, docs/UPGRADING_TO_V2.md: "Automatic
    AWS region and network bandwidth detection might not work"; fix: pass
    --maximum-throughput-gbps in the PersistentVolume's mountOptions). The launch templates
    keep the hop limit at 1, so every checkpoint went at 10 Gbps, even on a 3,200 Gbps p5.

    The figure is the one Mountpoint would have picked with IMDS: its table, generated from
    EC2's NetworkPerformance, gives the "up to" figure (p5.48xlarge 3200, g5.xlarge 10,
    trn1.2xlarge 12.5: mountpoint-s3-fs/src/autoconfigure/instance_throughput.rs lines 576,
    247, 812), which the catalog holds. For the multi-card types that is the sum over all
    network cards, while S3 traffic leaves through the ENA interfaces only, here the primary
    one on card 0 (the EFA-only interfaces carry no IP traffic); the catalog does not hold a
    card's own bandwidth (EC2 DescribeInstanceTypes NetworkCards[].PeakBandwidthInGbps). The
    target only sizes Mountpoint's request concurrency, so above what the interface carries
    it costs in-flight requests, not throughput, while the 10 Gbps default throttles. The
    option takes a whole number of at least 1 (cli.rs 171-174, a u64 in 1..), so the figure
    is rounded down; with several types, the smallest, as Spot may bring any of them.
    """
    return max(1, math.floor(min(catalog.INSTANCE_TYPES[t].peak_network_gbps for t in group.instance_types)))


def manifests(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> list[dict]:
    storage = settings.storage
    out: list[dict] = []
    for namespace in storage.training_namespaces:
        if storage.checkpoints is not None:
            # The runtimes' pods run as it; its Pod Identity role (identities below) reaches
            # this namespace's prefix of the bucket only, for DCP through s3torchconnector.
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": names.TRAINING_SERVICE_ACCOUNT, "namespace": namespace},
                }
            )
            # A volume per group: its mount options set Mountpoint's throughput, and a
            # namespace's TrainJobs may run on groups whose bandwidths differ a hundredfold
            # (g5.xlarge 10 Gbps, p5.48xlarge 3200). The runtimes of a group mount its claim.
            for group in groups:
                volume = f"{names.CHECKPOINTS_CLAIM}-{namespace}-{group.name}"
                out += _volume_and_claim(
                    volume_name=volume,
                    claim=names.checkpoints_claim(group.name),
                    namespace=namespace,
                    csi={
                        "driver": names.S3_CSI_DRIVER,
                        "volumeHandle": volume,
                        "volumeAttributes": {"bucketName": FROM_CLUSTER.checkpoint_bucket},
                    },
                    # Each namespace sees its own prefix of the one bucket, whatever the group.
                    # allow-delete lets a user prune old checkpoints; the checkpoint protocol
                    # itself never overwrites, renames or deletes (Mountpoint supports none by
                    # default). The CSI driver takes "key value" options (pkg/mountpoint/args.go
                    # 58-77 at v2.7.0).
                    mount_options=[
                        f"prefix {namespace}/",
                        f"region {settings.region}",
                        "allow-delete",
                        f"maximum-throughput-gbps {mountpoint_throughput_gbps(group)}",
                    ],
                )
        if storage.fsx is not None:
            out += _volume_and_claim(
                volume_name=f"{names.FSX_CLAIM}-{namespace}",
                claim=names.FSX_CLAIM,
                namespace=namespace,
                csi={
                    "driver": names.FSX_CSI_DRIVER,
                    "volumeHandle": FROM_CLUSTER.fsx_id,
                    "volumeAttributes": {"dnsname": FROM_CLUSTER.fsx_dns_name, "mountname": FROM_CLUSTER.fsx_mount_name},
                },
                mount_options=["flock"],
            )
    return out


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    storage = settings.storage
    if not settings.of(kubeflow_trainer.COMPONENT).enabled or (storage.checkpoints is None and storage.fsx is None):
        return None
    return ReleaseSpec(
        name=COMPONENT.name,
        namespace=names.KUBE_SYSTEM_NAMESPACE,
        chart=str(MANIFESTS_CHART),
        version=None,
        values={"manifests": manifests(settings, groups)},
        uses_namespaces=storage.training_namespaces,
    )


def identities(basis: PlanBasis) -> tuple[PodIdentity, ...]:
    """A role per training namespace, scoped to ``<namespace>/`` of the checkpoint bucket: a job
    of one team can neither read nor overwrite another's checkpoints."""
    if basis.storage.checkpoints is None:
        return ()
    return tuple(
        PodIdentity(
            construct_id=f"training_{namespace.replace('-', '_')}_identity",
            name=f"training-{namespace}",
            namespace=namespace,
            service_account=names.TRAINING_SERVICE_ACCOUNT,
            grants=(Grant.CHECKPOINT_NAMESPACE_PREFIX_READ_WRITE,),
        )
        for namespace in basis.training_namespaces
    )


COMPONENT: HelmComponent[None] = HelmComponent(name="training-storage", release=release, identities=identities)
