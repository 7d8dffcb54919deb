"""Where moto 5.2.2 (server mode) differs from AWS for the resources our stacks make.

This is the one list of rehearsal adjustments. Each entry says what moto does that
forces it. tools/rehearse.py turns it into Terraform override files that only the
rehearsal writes; the synthesized production JSON never changes.
"""

from __future__ import annotations

# Resource types moto cannot create. The rehearsal plans them (the full plan) and
# then sets count = 0 for the apply; the summary names every one.
SKIPPED: dict[str, str] = {
    "aws_eks_addon": "moto has no EKS add-on API: CreateAddon answers an HTML 404",
    "aws_eks_access_entry": "moto has no EKS access-entry API: CreateAccessEntry answers an HTML 404",
    "aws_eks_access_policy_association": "moto has no EKS access-policy API: AssociateAccessPolicy answers an HTML 404",
    "aws_eks_pod_identity_association": "moto has no EKS Pod Identity API: CreatePodIdentityAssociation answers an HTML 404",
    "aws_placement_group": "moto does not implement CreatePlacementGroup (NotImplementedError, HTTP 500)",
    "aws_autoscaling_group_tag": "moto's EKS node groups name an Auto Scaling group that does not exist; tagging it raises "
    "KeyError (HTTP 500)",
    "aws_fsx_lustre_file_system": "moto's file system never reports a Lifecycle the provider accepts, so it waits for AVAILABLE "
    "until it fails",
    "aws_fsx_data_repository_association": "moto has no CreateDataRepositoryAssociation (and its file system is skipped)",
}

# Data sources moto cannot answer. The rehearsal sets count = 0 on them and reads what
# refers to them as a placeholder; the summary names every one.
UNREAD_DATA: dict[str, str] = {
    "aws_eks_addon_version": "moto has no EKS add-on API (moto/eks/responses.py serves clusters, node groups and "
    "Fargate profiles only), so DescribeAddonVersions cannot answer",
}

# What a skipped resource may change without being replaced, from the provider's schema: a
# change only to these, including one to a data source it reads, is judged an in-place update
# from the two synthesized configurations.
UPDATED_IN_PLACE: dict[str, tuple[tuple[str, ...], str]] = {
    "aws_eks_addon": (
        ("addon_version", "configuration_values", "pod_identity_association", "service_account_role_arn"),
        "hashicorp/aws internal/service/eks/addon.go: only addon_name and cluster_name are ForceNew; the update "
        "sends these four to UpdateAddon",
    ),
}

# Changed in the emulator itself (tools/emulator_server.py), not in the rehearsal: a revoke by
# rule id of a rule that is gone gets InvalidPermission.NotFound from moto, where AWS answers
# InvalidSecurityGroupRuleId.NotFound, which the provider's delete of a security group rule takes
# as already deleted (terraform-provider-aws internal/service/ec2 vpc_security_group_rule.go,
# Delete: errCodeInvalidGroupNotFound, errCodeInvalidSecurityGroupRuleIdNotFound). One fresh-clone
# run (2026-12-02, p5-efa) failed its destroy there, on an ingress rule Terraform had created; the
# likeliest way is the SDK resending a revoke that had succeeded, after moto's development server
# dropped the connection (tools/rehearse.py max_retries), which AWS would have answered as done.

# Resources skipped only when an attribute points at something moto does not make.
# attribute -> (text found in its value, why)
NO_CLUSTER_SECURITY_GROUP = (
    "cluster_security_group_id",
    "moto's EKS cluster has no cluster security group (its id reads back empty), so a rule that references it fails",
)
NO_CLUSTER_SECURITY_GROUP_TO_ADD_TO = (
    "cluster_security_group_id",
    "moto's EKS cluster has no cluster security group (its id reads back empty), so a rule cannot be added to it",
)
SKIPPED_WHEN_REFERENCING: dict[str, dict[str, tuple[str, str]]] = {
    "aws_vpc_security_group_ingress_rule": {
        "referenced_security_group_id": NO_CLUSTER_SECURITY_GROUP,
        # The nodes' side of the Lustre rules: inbound on the cluster security group.
        "security_group_id": NO_CLUSTER_SECURITY_GROUP_TO_ADD_TO,
    },
    "aws_vpc_security_group_egress_rule": {
        # The Lustre group's outbound rules to the nodes.
        "referenced_security_group_id": NO_CLUSTER_SECURITY_GROUP,
    },
}


def skip_reason(kind: str, body: dict) -> str | None:
    """Why the rehearsal does not create this resource, or None."""
    if kind in SKIPPED:
        return SKIPPED[kind]
    for attribute, (marker, why) in SKIPPED_WHEN_REFERENCING.get(kind, {}).items():
        if marker in str(body.get(attribute, "")):
            return why
    return None


# Attributes moto reads back differently from what was written; without these the
# second plan would show changes that real AWS would not.
IGNORED: dict[str, tuple[tuple[str, ...], str]] = {
    "aws_eks_cluster": (
        ("access_config",),
        "DescribeCluster returns no accessConfig, so bootstrap_cluster_creator_admin_permissions would force a "
        "replacement; an in-place update cannot fix it (moto's UpdateClusterConfig answers {} and provider 5.100.0 panics)",
    ),
    "aws_eks_node_group": (
        ("remote_access", "update_config", "node_repair_config"),
        "DescribeNodegroup invents remoteAccess {ec2SshKey: eksKeypair} (forces replacement) and drops updateConfig "
        "and nodeRepairConfig",
    ),
    "aws_launch_template": (
        ("tag_specifications",),
        "moto stores the launch-template TagSpecification the provider sends for the template's own tags and returns it as a "
        "fourth entry",
    ),
    "aws_vpc_security_group_ingress_rule": (
        ("referenced_security_group_id", "description"),
        "a rule that references a security group reads back as <account>/<sg-id> and without its description; "
        "ModifySecurityGroupRules then fails on protocol -1",
    ),
    "aws_vpc_security_group_egress_rule": (
        ("referenced_security_group_id", "description"),
        "same as the ingress rule",
    ),
}

# Blocks that point at a skipped resource. An override cannot delete a block, so the
# rehearsal replaces it with an empty one and ignores it on the second plan (moto
# reads an empty placement back as no block at all).
DETACHED_BLOCKS: dict[str, tuple[str, str]] = {
    # The launch template names the placement group, which moto cannot create.
    "aws_launch_template": ("placement", "aws_placement_group"),
}

# The AWS services the stacks call, all served by one moto endpoint.
ENDPOINT_SERVICES = ("autoscaling", "cloudwatch", "ec2", "eks", "fsx", "iam", "kms", "logs", "s3", "sns", "sts")
