"""Where each stack keeps its Terraform state."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Backend, CloudBackend, S3Backend


@dataclass(frozen=True, kw_only=True)
class LocalBackendPlan:
    """cdktf's default local backend."""


@dataclass(frozen=True, kw_only=True)
class S3BackendPlan:
    bucket: str
    key_prefix: str
    region: str
    dynamodb_table: str | None
    kms_key_id: str | None

    def key(self, role: str) -> str:
        return f"{self.key_prefix}/{role}.tfstate"

    @property
    def use_lockfile(self) -> bool:
        """S3's own lock file, unless a DynamoDB table locks: Terraform before 1.10 rejects
        ``use_lockfile`` as an unknown backend argument, and a lock table is kept for them."""
        return self.dynamodb_table is None


@dataclass(frozen=True, kw_only=True)
class CloudBackendPlan:
    organization: str
    hostname: str
    project: str | None
    workspace_prefix: str

    def workspace(self, role: str) -> str:
        return f"{self.workspace_prefix}-{role}"


BackendPlan = LocalBackendPlan | S3BackendPlan | CloudBackendPlan

# The oldest Terraform every stack works with: the stacks carry ``moved`` blocks, which
# Terraform 1.1 introduced (Terraform docs, "Refactoring", moved blocks: "v1.1 and later").
TERRAFORM_FLOOR = "1.1"
# S3-native state locking, ``use_lockfile``, arrived in Terraform 1.10 (Terraform docs, Backend
# block "s3", State Locking; the Terraform 1.10.0 changelog, where the s3 backend gained it).
S3_LOCKFILE_TERRAFORM = "1.10"


def required_terraform(backend: BackendPlan) -> str:
    """terraform.required_version for every stack, so an older Terraform stops at init with a
    version message instead of an unknown backend argument."""
    if isinstance(backend, S3BackendPlan) and backend.use_lockfile:
        return f">= {S3_LOCKFILE_TERRAFORM}"
    return f">= {TERRAFORM_FLOOR}"


def backend_plan(backend: Backend, *, name: str, region: str) -> BackendPlan:
    if isinstance(backend, S3Backend):
        return S3BackendPlan(
            bucket=backend.bucket,
            key_prefix=backend.key_prefix or f"gpu-eks/{name}",
            region=backend.region or region,
            dynamodb_table=backend.dynamodb_table,
            kms_key_id=backend.kms_key_id,
        )
    if isinstance(backend, CloudBackend):
        return CloudBackendPlan(
            organization=backend.organization,
            hostname=backend.hostname,
            project=backend.project,
            workspace_prefix=backend.workspace_prefix or name,
        )
    return LocalBackendPlan()
