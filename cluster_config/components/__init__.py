"""Every in-cluster component and EKS add-on, one module each (the contract: ``contract.py``).

``HELM_COMPONENTS`` is in install order, sorted from what each declares it is installed
after; the list below only breaks ties. ``ADDONS`` keeps the order the cluster stack has
always made them in, which the node groups' ``depends_on`` lists follow.
"""

from __future__ import annotations

from typing import Sequence

from . import (
    amazon_cloudwatch_observability,
    aws_fsx_csi_driver,
    aws_mountpoint_s3_csi_driver,
    cluster_autoscaler,
    coredns,
    efa_device_plugin,
    eks_node_monitoring_agent,
    eks_pod_identity_agent,
    kube_proxy,
    kubeflow_trainer,
    kueue,
    kueue_queues,
    neuron_device_plugin,
    node_health_check,
    nvidia_device_plugin,
    provisioning_request_crd,
    training_runtimes,
    training_storage,
    vpc_cni,
)
from .contract import EksAddon, HelmComponent


def install_order(components: Sequence[HelmComponent]) -> tuple[HelmComponent, ...]:
    """Each component after every component it names in ``after``, otherwise in the order given
    (a stable topological sort). A name no component has, a name used twice, or components
    that wait for each other are errors in the code, reported with the names involved."""
    by_name: dict[str, HelmComponent] = {}
    for component in components:
        if component.name in by_name:
            raise ValueError(f"two components are called {component.name}")
        by_name[component.name] = component
    for component in components:
        unknown = sorted(set(component.after) - set(by_name))
        if unknown:
            raise ValueError(
                f"component {component.name} is installed after {', '.join(unknown)}, which no component "
                f"is called (components: {', '.join(sorted(by_name))})"
            )
    order: list[HelmComponent] = []
    placed: set[str] = set()
    waiting = list(components)
    while waiting:
        ready = next((c for c in waiting if set(c.after) <= placed), None)
        if ready is None:
            raise ValueError(f"components wait for each other in a cycle: {' -> '.join(_cycle(waiting))}")
        order.append(ready)
        placed.add(ready.name)
        waiting.remove(ready)
    return tuple(order)


def _cycle(waiting: list[HelmComponent]) -> list[str]:
    """One cycle among components none of which can be placed: follow what each waits for."""
    blocked = {c.name: c for c in waiting}
    path = [waiting[0].name]
    while True:
        after = next(name for name in blocked[path[-1]].after if name in blocked)
        if after in path:
            return [*path[path.index(after) :], after]
        path.append(after)


HELM_COMPONENTS: tuple[HelmComponent, ...] = install_order(
    (
        cluster_autoscaler.COMPONENT,
        efa_device_plugin.COMPONENT,
        kubeflow_trainer.COMPONENT,
        kueue.COMPONENT,
        kueue_queues.COMPONENT,
        neuron_device_plugin.COMPONENT,
        node_health_check.COMPONENT,
        nvidia_device_plugin.COMPONENT,
        provisioning_request_crd.COMPONENT,
        training_runtimes.COMPONENT,
        training_storage.COMPONENT,
    )
)
ADDONS: tuple[EksAddon, ...] = (
    vpc_cni.COMPONENT,
    eks_pod_identity_agent.COMPONENT,
    kube_proxy.COMPONENT,
    coredns.COMPONENT,
    eks_node_monitoring_agent.COMPONENT,
    aws_mountpoint_s3_csi_driver.COMPONENT,
    aws_fsx_csi_driver.COMPONENT,
    amazon_cloudwatch_observability.COMPONENT,
)
