"""The CloudWatch observability add-on: Container Insights with enhanced observability.

Node, pod and container metrics, with NVIDIA GPU (through the DCGM exporter it runs), Neuron
and EFA metrics on by default; its DaemonSets tolerate every taint, so they reach the GPU
nodes too (CloudWatch user guide, "Install the CloudWatch agent with the Amazon CloudWatch
Observability EKS add-on"; Pod Identity from add-on v3.1.0). The GPU alarms read what it
publishes (cluster_config/plan/alarms.py).
"""

from __future__ import annotations

from .. import names
from ..catalog import INSTANCE_TYPES
from .contract import EksAddon, PodIdentity


def _on_instance_types(types: list[str]) -> dict:
    """A required node affinity to these instance types, with the chart's Fargate exclusion."""
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": names.INSTANCE_TYPE_LABEL, "operator": "In", "values": types},
                            {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"]},
                        ]
                    }
                ]
            }
        }
    }


def configuration() -> dict:
    """The add-on's DCGM exporter and Neuron monitor, on every accelerator type of the catalog.

    The chart pins each to its own list of instance types with a required node affinity
    (aws-observability/helm-charts amazon-cloudwatch-observability-6.4.0 values.yaml,
    dcgmExporter.affinity and neuronMonitor.affinity, read by templates/linux/
    dcgm-exporter-daemonset.yaml and neuron-monitor-daemonset.yaml). 6.4.0's DCGM list lacks
    p5.4xlarge, so such a group got no GPU metrics and its temperature alarm never saw data;
    a type added to the catalog after the chart would be missed the same way. The lists
    replace the chart's (Helm replaces lists), so they are the catalog's whole sets. The
    add-on's own configuration schema was not available to check here (only the chart is):
    if an add-on version's schema lacked these keys, EKS would reject the configuration
    at apply time rather than ignore it.
    """

    def kind(accelerator_kind: str) -> list[str]:
        return sorted(name for name, t in INSTANCE_TYPES.items() if t.accelerator_kind == accelerator_kind)

    return {
        "dcgmExporter": {"affinity": _on_instance_types(kind("nvidia"))},
        "neuronMonitor": {"affinity": _on_instance_types(kind("neuron"))},
    }


# The agent writes metrics and logs as this service account.
IDENTITY = PodIdentity(
    construct_id="cloudwatch_agent_role",
    name="cloudwatch",
    namespace=names.CLOUDWATCH_NAMESPACE,
    service_account=names.CLOUDWATCH_SERVICE_ACCOUNT,
    managed_policies=("CloudWatchAgentServerPolicy",),
)
COMPONENT = EksAddon(
    name="amazon-cloudwatch-observability",
    before_nodes=False,
    enabled=lambda basis: basis.config.observability.cloudwatch,
    configuration=configuration(),
    identity=IDENTITY,
)
