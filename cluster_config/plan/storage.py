"""Where training data, scratch and checkpoints live, and what the shared parts cost."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Storage

FSX_DEFAULT_THROUGHPUT = 250  # MB/s per TiB, PERSISTENT_2


@dataclass(frozen=True, kw_only=True)
class FsxPlan:
    storage_capacity_gib: int
    deployment_type: str
    throughput_mib_per_tib: int | None  # PERSISTENT_2 only
    availability_zone: str
    import_path: str | None  # s3:// URI linked to the file system

    @property
    def data_repository_association(self) -> bool:
        """PERSISTENT_2 links S3 through a data repository association; SCRATCH_2
        through the file system's own import path."""
        return self.import_path is not None and self.deployment_type == "PERSISTENT_2"


@dataclass(frozen=True, kw_only=True)
class CheckpointsPlan:
    bucket_name: str | None  # None: <cluster>-checkpoints-<account>-<region>, unique per account and region
    noncurrent_version_days: int


@dataclass(frozen=True, kw_only=True)
class StoragePlan:
    fsx: FsxPlan | None
    checkpoints: CheckpointsPlan | None
    training_namespaces: tuple[str, ...]  # each gets the claims the runtimes mount


def storage_plan(
    storage: Storage, *, zones: tuple[str, ...], efa_zones: tuple[str, ...], training_namespaces: tuple[str, ...]
) -> StoragePlan:
    fsx = None
    if storage.fsx_lustre.enabled:
        settings = storage.fsx_lustre
        persistent = settings.deployment_type == "PERSISTENT_2"
        fsx = FsxPlan(
            storage_capacity_gib=settings.storage_capacity_gib,
            deployment_type=settings.deployment_type,
            throughput_mib_per_tib=(settings.throughput_mib_per_tib or FSX_DEFAULT_THROUGHPUT) if persistent else None,
            # Next to the EFA nodes that read it: cross-AZ Lustre traffic is slower and billed.
            availability_zone=settings.availability_zone or (efa_zones[0] if efa_zones else zones[0]),
            import_path=settings.import_path,
        )
    checkpoints = None
    if storage.checkpoints.enabled:
        checkpoints = CheckpointsPlan(
            bucket_name=storage.checkpoints.bucket_name,
            noncurrent_version_days=storage.checkpoints.noncurrent_version_days,
        )
    return StoragePlan(fsx=fsx, checkpoints=checkpoints, training_namespaces=training_namespaces)
