"""The shared storage in every training namespace: claims on the checkpoint bucket and the Lustre file system.

Static volumes, one per namespace (a PersistentVolume binds one claim), all
pointing at the same bucket or file system. The bucket and file system are made by
the cluster stack, so their names reach the manifests as ``inputs`` at apply time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import names
from .release_spec import ReleaseSpec
from .training_runtimes import CHART_DIR

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

RELEASE_NAME = "training-storage"
# A static volume's size is not enforced by either driver; Kubernetes needs one to bind.
NOMINAL_SIZE = "1Ti"


def _volume_and_claim(*, volume_name: str, claim: str, namespace: str, csi: dict, mount_options: list[str] | None = None) -> list[dict]:
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
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": claim, "namespace": namespace},
         "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "", "volumeName": volume_name,
                  "resources": {"requests": {"storage": NOMINAL_SIZE}}}},
    ]


def manifests(settings: PlatformSettings) -> list[dict]:
    storage = settings.storage
    out: list[dict] = []
    for namespace in storage.training_namespaces:
        if storage.checkpoints is not None:
            out += _volume_and_claim(
                volume_name=f"{names.CHECKPOINTS_CLAIM}-{namespace}", claim=names.CHECKPOINTS_CLAIM, namespace=namespace,
                csi={"driver": names.S3_CSI_DRIVER, "volumeHandle": f"{names.CHECKPOINTS_CLAIM}-{namespace}",
                     "volumeAttributes": {"bucketName": "{{ .Values.inputs.checkpointBucket }}"}},
                # Each namespace sees its own prefix of the one bucket. allow-delete lets a
                # user prune old checkpoints; the checkpoint protocol itself never
                # overwrites, renames or deletes (Mountpoint supports none by default).
                mount_options=[f"prefix {namespace}/", f"region {settings.region}", "allow-delete"],
            )
        if storage.fsx is not None:
            out += _volume_and_claim(
                volume_name=f"{names.FSX_CLAIM}-{namespace}", claim=names.FSX_CLAIM, namespace=namespace,
                csi={"driver": names.FSX_CSI_DRIVER, "volumeHandle": "{{ .Values.inputs.fsxId }}",
                     "volumeAttributes": {"dnsname": "{{ .Values.inputs.fsxDnsName }}",
                                          "mountname": "{{ .Values.inputs.fsxMountName }}"}},
                mount_options=["flock"],
            )
    return out


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    storage = settings.storage
    if not settings.trainer.enabled or (storage.checkpoints is None and storage.fsx is None):
        return None
    inputs = (("checkpointBucket",) if storage.checkpoints else ()) + (("fsxId", "fsxDnsName", "fsxMountName") if storage.fsx else ())
    return ReleaseSpec(
        name=RELEASE_NAME, namespace=names.KUBE_SYSTEM_NAMESPACE, chart=str(CHART_DIR), version=None,
        values={"manifests": manifests(settings)}, uses_namespaces=storage.training_namespaces, inputs=inputs,
    )
