"""The FSx for Lustre CSI driver, which mounts the cluster's Lustre file system in the training pods."""

from __future__ import annotations

from .contract import EksAddon

# Static volumes (training_storage) need no AWS access of the driver's own.
COMPONENT = EksAddon(name="aws-fsx-csi-driver", before_nodes=False, enabled=lambda basis: basis.storage.fsx is not None)
