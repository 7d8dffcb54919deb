"""Mountpoint for Amazon S3's CSI driver, which mounts the checkpoint bucket in the training pods."""

from __future__ import annotations

from .. import names
from .contract import EksAddon, Grant, PodIdentity

# Its node plugin makes the S3 calls, as this service account, with a role the cluster
# stack scopes to the checkpoint bucket.
IDENTITY = PodIdentity(
    construct_id="mountpoint_role",
    name="mountpoint",
    namespace=names.KUBE_SYSTEM_NAMESPACE,
    service_account=names.MOUNTPOINT_SERVICE_ACCOUNT,
    grants=(Grant.CHECKPOINT_BUCKET_READ_WRITE,),
)
COMPONENT = EksAddon(
    name="aws-mountpoint-s3-csi-driver",
    before_nodes=False,
    enabled=lambda basis: basis.storage.checkpoints is not None,
    identity=IDENTITY,
)
