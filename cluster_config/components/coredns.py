"""CoreDNS, the cluster's DNS; it needs nodes to run on, so it waits for the system node group."""

from __future__ import annotations

from .contract import EksAddon

COMPONENT = EksAddon(name="coredns", before_nodes=False)
