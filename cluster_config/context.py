"""The one handle constructs get for where they are: the cluster's name, region, partition and account.

Plain data, so the components' IAM statements (``cluster_config.components``) can be
written against it without cdktf. ``account_id`` (and ``cluster_name``) are references
to resources in a stack, which are strings in Python: they are resolved at apply time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class AwsContext:
    """Where one stack makes its resources: what they are named after, and where their ARNs point."""

    name: str  # the cluster's name as planned: every AWS name the project makes starts with it
    region: str
    partition: str  # known at synth time (cluster_config.plan.partition_of), so ARNs need no lookup
    account_id: str  # the account of the stack's credentials (aws_caller_identity)

    def arn(self, service: str, resource: str) -> str:
        """An ARN of this account and region (IAM reference, "Amazon Resource Names")."""
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    @property
    def account_root_arn(self) -> str:
        """The account as a principal: IAM ARNs name no region."""
        return f"arn:{self.partition}:iam::{self.account_id}:root"


@dataclass(frozen=True, kw_only=True)
class ClusterContext(AwsContext):
    """The context of the constructs around the EKS cluster (the cluster stack)."""

    # The cluster resource's own name attribute: what is built from it (a node group, an
    # add-on, an association, the autoscaler's role) is made after the cluster.
    cluster_name: str
    # The cluster resource's version attribute, for the same reason: a node group or add-on
    # of that version is updated after the control plane, in the same apply.
    kubernetes_version: str
