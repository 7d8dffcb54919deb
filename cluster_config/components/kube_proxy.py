"""kube-proxy, which programs each node's routes to Services."""

from __future__ import annotations

from .contract import EksAddon

COMPONENT = EksAddon(name="kube-proxy", before_nodes=True)
