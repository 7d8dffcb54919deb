"""The EKS node monitoring agent: GPU (XID, NVLink), network, kernel, storage and container-runtime
faults as node conditions, which node auto repair acts on (cluster.node_repair)."""

from __future__ import annotations

from .contract import EksAddon

# The agent's GPU checks (XID, double-bit ECC, NVLink, PCIe) read the DCGM host engine that
# the chart's dcgm-server DaemonSet runs on every NVIDIA node; without it the agent reports
# DCGMError and AcceleratedHardwareReady=False, and auto repair has nothing to act on. The
# chart gives that DaemonSet no tolerations (aws/eks-node-monitoring-agent v1.7.0,
# charts/eks-node-monitoring-agent/values.yaml dcgmAgent.tolerations: []), so it never ran
# on a GPU group, all of which are tainted. It now tolerates every taint, as the chart's
# agent DaemonSet does (nodeAgent.tolerations: [{operator: Exists}]): wherever the agent
# runs on an NVIDIA node, its DCGM server runs too, whatever taints a user gives a group.
# dcgmAgent.tolerations is in the add-on's configuration schema since v1.6.0
# (charts/configuration.schema.json at v1.6.0 and v1.7.0).
#
# Its node affinity is the chart's own list of NVIDIA instance types, amd64 only; every
# catalog NVIDIA type is on it in every release from v1.6.0 to v1.7.0, so it is left as it
# is (tests/unit/test_addons.py holds the catalog against the v1.7.0 list). Setting it would
# need dcgmAgent.affinity, which the schema has only since v1.6.3, and EKS rejects a key the
# installed version's schema lacks (EKS user guide, "Configure the Amazon EKS node
# monitoring agent").
NODE_MONITORING_AGENT = {"dcgmAgent": {"tolerations": [{"operator": "Exists"}]}}

COMPONENT = EksAddon(
    name="eks-node-monitoring-agent",
    before_nodes=False,
    enabled=lambda basis: basis.config.cluster.node_repair,
    configuration=NODE_MONITORING_AGENT,
)
