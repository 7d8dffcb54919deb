"""The Amazon VPC CNI add-on, in prefix mode: pod addresses come in /28 prefixes, not one IP at a time."""

from __future__ import annotations

from .contract import EksAddon

# One /28 kept attached beyond what a node's pods use, as EKS recommends for prefix mode:
# a new pod gets an address without an EC2 call, and little of the subnet sits idle.
WARM_PREFIX_TARGET = 1
PREFIX_SIZE = 16


def max_pods(vcpus: int) -> int:
    """The max-pods EKS managed node groups use with prefix delegation: 250 above 30 vCPUs, else 110
    (awslabs/amazon-eks-ami templates/al2023/runtime/max-pods-calculator.sh: ``CPU_COUNT -gt 30``)."""
    return 110 if vcpus <= 30 else 250


def addresses_per_node(vcpus: int, pods: int | None = None) -> int:
    """Private IPs a node takes from its subnet in prefix mode running ``pods`` pods
    (default: max-pods): their prefixes, the warm one, and its own address."""
    pods = max_pods(vcpus) if pods is None else pods
    prefixes = -(-pods // PREFIX_SIZE) + WARM_PREFIX_TARGET
    return prefixes * PREFIX_SIZE + 1


# It must run before a node can become Ready. Prefix delegation: each ENI slot holds a /28
# (16 pod IPs) instead of one IP. On p5-class nodes card 0 carries the primary ENI and an
# EFA-only interface, so the CNI has that one ENI: about 49 pod IPs against kubelet's
# max-pods of 100 without prefixes (EKS user guide, "Assign more IP addresses to Amazon EKS
# nodes with prefixes"; EKS best practices, "Prefix Mode for Linux").
COMPONENT = EksAddon(
    name="vpc-cni",
    before_nodes=True,
    configuration={
        "env": {
            "ENABLE_PREFIX_DELEGATION": "true",
            "WARM_PREFIX_TARGET": str(WARM_PREFIX_TARGET),
        }
    },
)
