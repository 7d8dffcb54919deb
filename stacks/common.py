"""What every stack starts with: its state backend and, for AWS stacks, the provider."""

from __future__ import annotations

from cdktf import CloudBackend, NamedCloudWorkspace, S3Backend, TerraformStack
from constructs import Construct

from cluster_config.model import ClusterConfig, CloudBackend as CloudBackendConfig, S3Backend as S3BackendConfig
from cluster_config.plan import default_tags
from modules import bindings as aws


def aws_provider(scope: Construct, config: ClusterConfig) -> aws.AwsProvider:
    return aws.AwsProvider(
        scope, "aws", region=config.region, default_tags=[aws.AwsProviderDefaultTags(tags=default_tags(config))],
    )


def state_backend(stack: TerraformStack, config: ClusterConfig, role: str) -> None:
    """One state per stack. cdktf reads the same backend settings for the
    terraform_remote_state data sources behind cross-stack references.

    local: cdktf's default (terraform.<stack>.tfstate beside the stack).
    s3: encrypted, locked with S3's own lock file (Terraform >= 1.10; cdktf 0.21's
        S3Backend has no parameter for it, hence the override), and optionally DynamoDB.
    cloud: one named workspace per stack, <prefix>-<role>; cross-stack references
        work only with named workspaces.
    """
    backend = config.backend
    if isinstance(backend, S3BackendConfig):
        prefix = backend.key_prefix or f"gpu-eks/{config.name}"
        S3Backend(
            stack, bucket=backend.bucket, key=f"{prefix}/{role}.tfstate", region=backend.region or config.region,
            encrypt=True, kms_key_id=backend.kms_key_id, dynamodb_table=backend.dynamodb_table,
        )
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    elif isinstance(backend, CloudBackendConfig):
        CloudBackend(
            stack, hostname=backend.hostname, organization=backend.organization,
            workspaces=NamedCloudWorkspace(f"{backend.workspace_prefix or config.name}-{role}", backend.project),
        )
