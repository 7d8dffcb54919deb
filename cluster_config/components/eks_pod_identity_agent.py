"""The EKS Pod Identity agent, which hands pods the credentials of the roles associated with their service accounts."""

from __future__ import annotations

from .contract import EksAddon

# Before any workload asks for credentials: the node groups, and every association, wait for it.
COMPONENT = EksAddon(name="eks-pod-identity-agent", before_nodes=True)
