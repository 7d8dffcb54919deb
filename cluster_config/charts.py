"""The pinned charts, by the names tools and tests look them up by (tools/upstream_charts.py, the render tests).

Nothing is pinned here: each pin is declared, with where it was confirmed, in its component's
module (``cluster_config/components/<name>.py``, ``CHART``).
"""

from __future__ import annotations

from .components import cluster_autoscaler, efa_device_plugin, kubeflow_trainer, kueue, neuron_device_plugin, nvidia_device_plugin

KUBEFLOW_TRAINER = kubeflow_trainer.CHART
NVIDIA_DEVICE_PLUGIN = nvidia_device_plugin.CHART
NEURON = neuron_device_plugin.CHART
EFA_DEVICE_PLUGIN = efa_device_plugin.CHART
CLUSTER_AUTOSCALER = cluster_autoscaler.CHART
CLUSTER_AUTOSCALER_BY_MINOR = cluster_autoscaler.BY_MINOR  # the last chart of each Kubernetes minor
KUEUE = kueue.CHART
