"""What every stack starts with: its state backend and, for AWS stacks, the provider."""

from __future__ import annotations

from cdktf import CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformStack
from constructs import Construct

from cluster_config.plan import ClusterPlan, StackRole
from cluster_config.plan.backend import CloudBackendPlan, LocalBackendPlan, S3BackendPlan, required_terraform
from modules.aws_access import AwsAccess, AwsAccessProps

# Local state, as a path relative to the stack's own directory (<outdir>/stacks/<stack>):
# the folder state/ beside the output folder, so state/ at the repository root for the
# default cdktf.out. cdktf's default is an absolute path into the checkout that
# synthesized it, which breaks for a teammate or a CI runner. Terraform resolves the
# path from its working directory, which is the stack directory for
# `terraform -chdir=<outdir>/stacks/<stack>` and for `cdktf deploy` alike, and every
# stack sits at the same depth, so the terraform_remote_state data sources (cdktf
# copies this path into them) find each other's state too.
LOCAL_STATE_DIR = "../../../state"


def aws_access(scope: Construct, plan: ClusterPlan) -> AwsAccess:
    return AwsAccess(scope, "aws", props=AwsAccessProps(region=plan.region, default_tags=plan.tags))


def state_backend(stack: TerraformStack, plan: ClusterPlan, role: StackRole) -> None:
    """One state per stack. cdktf reads the same backend settings for the
    terraform_remote_state data sources behind cross-stack references.

    local: state/<stack>.tfstate beside the output folder, as a relative path (LOCAL_STATE_DIR).
    s3: encrypted, locked with S3's own lock file (Terraform >= 1.10; cdktf 0.21's
        S3Backend has no parameter for it, hence the override), or with the DynamoDB
        table when one is named, for Terraform older than 1.10, which rejects use_lockfile.
    cloud: one named workspace per stack, <prefix>-<role>; cross-stack references
        work only with named workspaces.
    """
    backend = plan.backend
    stack.add_override("terraform.required_version", required_terraform(backend))
    if isinstance(backend, LocalBackendPlan):
        LocalBackend(stack, path=f"{LOCAL_STATE_DIR}/{stack.node.id}.tfstate")
    elif isinstance(backend, S3BackendPlan):
        S3Backend(
            stack,
            bucket=backend.bucket,
            key=backend.key(role),
            region=backend.region,
            encrypt=True,
            kms_key_id=backend.kms_key_id,
            dynamodb_table=backend.dynamodb_table,
        )
        if backend.use_lockfile:
            stack.add_override("terraform.backend.s3.use_lockfile", True)
    elif isinstance(backend, CloudBackendPlan):
        CloudBackend(
            stack,
            hostname=backend.hostname,
            organization=backend.organization,
            workspaces=NamedCloudWorkspace(backend.workspace(role), backend.project),
        )
