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


@dataclass(frozen=True, kw_only=True)
class CloudBackendPlan:
    organization: str
    hostname: str
    project: str | None
    workspace_prefix: str

    def workspace(self, role: str) -> str:
        return f"{self.workspace_prefix}-{role}"


BackendPlan = LocalBackendPlan | S3BackendPlan | CloudBackendPlan


def backend_plan(backend: Backend, *, name: str, region: str) -> BackendPlan:
    if isinstance(backend, S3Backend):
        return S3BackendPlan(
            bucket=backend.bucket, key_prefix=backend.key_prefix or f"gpu-eks/{name}", region=backend.region or region,
            dynamodb_table=backend.dynamodb_table, kms_key_id=backend.kms_key_id,
        )
    if isinstance(backend, CloudBackend):
        return CloudBackendPlan(
            organization=backend.organization, hostname=backend.hostname, project=backend.project,
            workspace_prefix=backend.workspace_prefix or name,
        )
    return LocalBackendPlan()
