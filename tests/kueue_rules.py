"""What Kueue's admission webhooks (and its controllers) would say about a set of Kueue objects.

The CRD schema does not catch everything: a ClusterQueue that covers a resource in two
resource groups is valid against the CRD and rejected by the webhook at apply time, which
fails the whole atomic ``queues`` release. ``kueue_webhook_errors`` applies, to plain dicts,
every rule of the v0.19.2 webhooks for ClusterQueue, Cohort, ResourceFlavor and LocalQueue
(kubernetes-sigs/kueue v0.19.2 = 8eab68778fc1, pkg/webhooks/), and the reference checks the
controllers make (an object naming one that does not exist is accepted but left inactive).
Each rule names its source file and lines at that tag.

Topology has no webhook (pkg/webhooks/webhooks.go Setup, 28-50, registers none for it); its rules are the CEL rules of its
CRD, which jsonschema does not run, so they are here with the ResourceFlavor's, citing
kueue.x-k8s.io_topologies.yaml and kueue.x-k8s.io_resourceflavors.yaml (v1beta2) in
../shared/reference/upstream/kueue/crds/. ``podset_topology_errors`` judges what a job asks of a
topology, as Kueue's job webhooks and its flavor assigner would.

Feature-gated rules are left out: ConcurrentAdmission (clusterqueue_webhook.go 231-276) is
off by default and the stack sets no concurrentAdmissionPolicy.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

API_GROUP = "kueue.x-k8s.io"

# k8s.io/apimachinery validation: a qualified name (label key), a label value, a DNS-1123 subdomain.
_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SUFFIXES = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def quantity(value) -> Decimal | None:
    """A Kubernetes resource.Quantity as a number, or None when it does not parse."""
    match = _QUANTITY.match(str(value).strip())
    if not match:
        return None
    try:
        number = Decimal(match.group(1) + (match.group(2) or ""))
    except InvalidOperation:
        return None
    return number * Decimal(_SUFFIXES[match.group(3) or ""])


def label_key_problems(key: str) -> list[str]:
    """apimachinery validation.IsQualifiedName: [prefix/]name, name at most 63, prefix a DNS subdomain."""
    prefix, _, name = key.rpartition("/")
    problems = []
    if not name or len(name) > 63 or not _NAME.match(name):
        problems.append(f"{key!r} is not a qualified name (63 characters of letters, digits, '-', '_', '.')")
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        problems.append(f"{key!r} has a prefix that is not a DNS-1123 subdomain")
    return problems


def label_value_problems(value: str) -> list[str]:
    if value and (len(value) > 63 or not _NAME.match(value)):
        return [f"{value!r} is not a valid label value"]
    return []


def _resource_groups(groups: list[dict], path: str, *, has_parent: bool, is_cohort: bool) -> list[str]:
    """clusterqueue_webhook.go validateResourceGroups (302-329), validateFlavorQuotas (331-356),
    validateResourceQuantity (359-365), validateLimit (368-380), validateLendingLimit (383-389);
    the ClusterQueue passes enforceNominalGreaterThanLending=true (117-120), the Cohort false
    (cohort_webhook.go 69-72)."""
    errors = []
    seen_resources: set[str] = set()
    seen_flavors: set[str] = set()
    for i, group in enumerate(groups):
        covered = group.get("coveredResources", [])
        for j, name in enumerate(covered):
            where = f"{path}[{i}].coveredResources[{j}]"
            # common.go validateResourceName (29-35): a resource name is a label key.
            errors += [f"{where}: {p}" for p in label_key_problems(name)]
            if name in seen_resources:
                errors.append(
                    f"{where}: Duplicate value: {name!r} (covered by an earlier resource group; clusterqueue_webhook.go 312-313)"
                )
            seen_resources.add(name)
        for j, flavor in enumerate(group.get("flavors", [])):
            where = f"{path}[{i}].flavors[{j}]"
            if flavor["name"] in seen_flavors:
                errors.append(f"{where}.name: Duplicate value: {flavor['name']!r} (clusterqueue_webhook.go 321-322)")
            seen_flavors.add(flavor["name"])
            for k, resource in enumerate(flavor.get("resources", [])[: len(covered)]):
                at = f"{where}.resources[{k}]"
                if resource["name"] != covered[k]:
                    errors.append(
                        f"{at}.name: {resource['name']!r} must match the name in coveredResources ({covered[k]!r}; "
                        "clusterqueue_webhook.go 339-341)"
                    )
                nominal = quantity(resource.get("nominalQuota", 0))
                for field in ("nominalQuota", "borrowingLimit", "lendingLimit"):
                    if field not in resource:
                        continue
                    value = quantity(resource[field])
                    if value is None:
                        errors.append(f"{at}.{field}: {resource[field]!r} is not a quantity")
                    elif value < 0:
                        errors.append(f"{at}.{field}: must be greater than or equal to 0 (clusterqueue_webhook.go 359-365)")
                    if field != "nominalQuota" and not has_parent:
                        parent = "parent" if is_cohort else "cohort"
                        errors.append(f"{at}.{field}: must be nil when {parent} is empty (clusterqueue_webhook.go 368-380)")
                    if (
                        field == "lendingLimit"
                        and not is_cohort
                        and value is not None
                        and nominal is not None
                        and value > nominal
                    ):
                        errors.append(
                            f"{at}.lendingLimit: must be less than or equal to the nominalQuota (clusterqueue_webhook.go 383-389)"
                        )
    return errors


def _fair_sharing(fair_sharing: dict | None, path: str) -> list[str]:
    """common.go validateFairSharing (43-60)."""
    if not fair_sharing or "weight" not in fair_sharing:
        return []
    weight = quantity(fair_sharing["weight"])
    if weight is None:
        return [f"{path}: {fair_sharing['weight']!r} is not a quantity"]
    if weight < 0:
        return [f"{path}: must be greater than or equal to 0 (common.go 49-52)"]
    if 0 < weight <= Decimal("1e-9"):
        return [f"{path}: When not 0, weight must be > 10e-9 (common.go 54-58)"]
    return []


def _label_selector(selector: dict | None, path: str) -> list[str]:
    """apimachinery metav1 validation.ValidateLabelSelector, called at clusterqueue_webhook.go 122-123."""
    errors = []
    for key, value in (selector or {}).get("matchLabels", {}).items():
        errors += [f"{path}.matchLabels: {p}" for p in label_key_problems(key) + label_value_problems(value)]
    for i, expression in enumerate((selector or {}).get("matchExpressions", [])):
        operator, values = expression.get("operator"), expression.get("values", [])
        if operator in ("In", "NotIn") and not values:
            errors.append(f"{path}.matchExpressions[{i}].values: must be specified when `operator` is 'In' or 'NotIn'")
        elif operator in ("Exists", "DoesNotExist") and values:
            errors.append(
                f"{path}.matchExpressions[{i}].values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            )
        elif operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            errors.append(f"{path}.matchExpressions[{i}].operator: {operator!r} is not a valid selector operator")
        errors += [f"{path}.matchExpressions[{i}].key: {p}" for p in label_key_problems(expression.get("key", ""))]
    return errors


def _cluster_queue(spec: dict, where: str, flavors: set[str], checks: set[str], topology_missing: dict[str, str]) -> list[str]:
    groups = spec.get("resourceGroups", [])
    errors = _resource_groups(groups, f"{where}.spec.resourceGroups", has_parent=bool(spec.get("cohortName")), is_cohort=False)
    errors += _label_selector(spec.get("namespaceSelector"), f"{where}.spec.namespaceSelector")
    preemption = spec.get("preemption") or {}
    # validatePreemption (278-286).
    if (
        preemption.get("reclaimWithinCohort") == "Never"
        and preemption.get("borrowWithinCohort", {}).get("policy", "Never") != "Never"
    ):
        errors.append(
            f"{where}.spec.preemption: reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never (clusterqueue_webhook.go "
            "278-286)"
        )
    fungibility = spec.get("flavorFungibility") or {}
    # validateFlavorFungibility (288-300); the CRD's defaults are TryNextFlavor for both.
    if "preference" in fungibility and (
        fungibility.get("whenCanBorrow", "TryNextFlavor") != "TryNextFlavor"
        or fungibility.get("whenCanPreempt", "TryNextFlavor") != "TryNextFlavor"
    ):
        errors.append(
            f"{where}.spec.flavorFungibility.preference: requires both whenCanBorrow and whenCanPreempt to be "
            "TryNextFlavor (clusterqueue_webhook.go 288-300)"
        )
    errors += _fair_sharing(spec.get("fairSharing"), f"{where}.spec.fairSharing")
    # validateTotalFlavors (187-198), validateTotalCoveredResources (200-211), validateFlavorResourceCombinations (213-229).
    if sum(len(g.get("flavors", [])) for g in groups) > 256:
        errors.append(f"{where}.spec.resourceGroups: total number of flavors across all resourceGroups must be ≤ 256")
    if sum(len(g.get("coveredResources", [])) for g in groups) > 256:
        errors.append(f"{where}.spec.resourceGroups: total number of covered resources across all resourceGroups must be ≤ 256")
    for i, group in enumerate(groups):
        if sum(len(f.get("resources", [])) for f in group.get("flavors", [])) > 512:
            errors.append(
                f"{where}.spec.resourceGroups[{i}]: number of flavor-resource combinations in a resourceGroup must be ≤ 512"
            )
    own_flavors = {f["name"] for g in groups for f in g.get("flavors", [])}
    for i, check in enumerate((spec.get("admissionChecksStrategy") or {}).get("admissionChecks", [])):
        # validateAdmissionCheckOnFlavorsWithOld (159-185): onFlavors name this queue's flavors.
        for j, flavor in enumerate(check.get("onFlavors", [])):
            if flavor not in own_flavors:
                errors.append(
                    f"{where}.spec.admissionChecksStrategy.admissionChecks[{i}].onFlavors[{j}]: Unsupported value: "
                    f"{flavor!r} (clusterqueue_webhook.go 176-181)"
                )
        # The controller keeps a queue naming a missing check inactive, AdmissionCheckNotFound
        # (pkg/cache/scheduler/clusterqueue.go 427-428 and 325-327).
        if check["name"] not in checks:
            errors.append(
                f"{where}.spec.admissionChecksStrategy.admissionChecks[{i}].name: AdmissionCheck {check['name']!r} does not "
                "exist; the queue stays inactive (pkg/cache/scheduler/clusterqueue.go 325-327)"
            )
    # Likewise a missing flavor, FlavorNotFound (clusterqueue.go 411 and 321-323).
    for flavor in sorted(own_flavors - flavors):
        errors.append(
            f"{where}.spec.resourceGroups: ResourceFlavor {flavor!r} does not exist; the queue stays inactive "
            "(pkg/cache/scheduler/clusterqueue.go 321-323)"
        )
    # And a topology flavor whose Topology is missing, TopologyNotFound (clusterqueue.go 350-356).
    for flavor in sorted(own_flavors & set(topology_missing)):
        errors.append(
            f"{where}.spec.resourceGroups: there is no Topology {topology_missing[flavor]!r} for TAS flavor "
            f"{flavor!r}; the queue stays inactive (pkg/cache/scheduler/clusterqueue.go 350-356)"
        )
    return errors


def _resource_flavor(spec: dict, where: str) -> list[str]:
    """resourceflavor_webhook.go ValidateResourceFlavor (84-93), and the CRD's rule for topologyName."""
    errors = []
    if "topologyName" in spec and not spec.get("nodeLabels"):
        errors.append(
            f"{where}.spec: at least one nodeLabel is required when topology is set (kueue.x-k8s.io_resourceflavors.yaml 371-372)"
        )
    for key, value in (spec.get("nodeLabels") or {}).items():
        errors += [f"{where}.spec.nodeLabels: {p}" for p in label_key_problems(key) + label_value_problems(value)]
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(spec.get("nodeTaints") or []):
        # validateNodeTaints (96-125): valid key and value, unique by key and effect.
        errors += [f"{where}.spec.nodeTaints[{i}].key: {p}" for p in label_key_problems(taint.get("key", ""))]
        errors += [f"{where}.spec.nodeTaints[{i}].value: {p}" for p in label_value_problems(taint.get("value", ""))]
        if (taint.get("key"), taint.get("effect")) in seen:
            errors.append(
                f"{where}.spec.nodeTaints[{i}]: taints must be unique by key and effect pair (resourceflavor_webhook.go 110-116)"
            )
        seen.add((taint.get("key"), taint.get("effect")))
    for i, toleration in enumerate(spec.get("tolerations") or []):
        # validateTolerations, workload_webhook.go 277-287: a key, where given, is a label name.
        if toleration.get("key"):
            errors += [f"{where}.spec.tolerations[{i}].key: {p}" for p in label_key_problems(toleration["key"])]
    return errors


def _topology(spec: dict, where: str) -> list[str]:
    """The Topology CRD's CEL rules on spec.levels (kueue.x-k8s.io_topologies.yaml 136-144)."""
    labels = [level.get("nodeLabel") for level in spec.get("levels", [])]
    errors = []
    if len(set(labels)) != len(labels):
        errors.append(f"{where}.spec.levels: must be unique (kueue.x-k8s.io_topologies.yaml 138-140)")
    if HOSTNAME in labels and labels[-1] != HOSTNAME:
        errors.append(
            f"{where}.spec.levels: the kubernetes.io/hostname label can only be used at the lowest level of "
            "topology (kueue.x-k8s.io_topologies.yaml 141-144)"
        )
    return errors


HOSTNAME = "kubernetes.io/hostname"
REQUIRED = "kueue.x-k8s.io/podset-required-topology"
PREFERRED = "kueue.x-k8s.io/podset-preferred-topology"
UNCONSTRAINED = "kueue.x-k8s.io/podset-unconstrained-topology"


def podset_topology_errors(podsets: dict[str, dict], flavor: dict, topologies: list[dict]) -> list[str]:
    """What Kueue says of the topology annotations of a job's podsets (name -> pod-template
    annotations) on one flavor, given the Topology objects there are.

    The job webhooks' rules (pkg/controller/jobframework/tas_validation.go ValidateTASPodSetRequest:
    at most one of the three annotations, 42-57; a level is a label name, 61-66; unconstrained a
    boolean, 118-128), and the flavor assigner's, which leave the job pending instead
    (pkg/scheduler/flavorassigner/tas_flavorassigner.go checkPodSetAndFlavorMatchForTAS 166-200:
    a level asked of a flavor without topologyName, or one its Topology lacks; and a podset that
    asks for nothing fits a topology flavor only in a queue whose every flavor is one, 197-199,
    which a team queue over two groups need not be)."""
    topology_name = (flavor.get("spec") or {}).get("topologyName")
    levels = next(
        ([lv["nodeLabel"] for lv in t["spec"]["levels"]] for t in topologies if t["metadata"]["name"] == topology_name), None
    )
    errors = []
    for name, asks in podsets.items():
        where = f"podset {name!r} on flavor {flavor['metadata']['name']!r}"
        asked = [key for key in (REQUIRED, PREFERRED, UNCONSTRAINED) if key in asks]
        if topology_name is not None and not asked:
            errors.append(
                f"{where}: asks for no topology, so fits this TAS flavor only in a queue whose every flavor is "
                "one (tas_flavorassigner.go 197-199)"
            )
        if len(asked) > 1:
            errors.append(f"{where}: must not contain more than one topology annotation: {asked} (tas_validation.go 42-57)")
        if UNCONSTRAINED in asks and asks[UNCONSTRAINED] not in (
            "true",
            "false",
            "True",
            "False",
            "1",
            "0",
            "t",
            "f",
            "T",
            "F",
            "TRUE",
            "FALSE",
        ):
            errors.append(
                f"{where}: {UNCONSTRAINED}: {asks[UNCONSTRAINED]!r} must be a boolean value (tas_validation.go 118-128)"
            )
        for key in (REQUIRED, PREFERRED):
            if key not in asks:
                continue
            level = asks[key]
            errors += [f"{where}: {key}: {p} (tas_validation.go 61-66)" for p in label_key_problems(level)]
            if topology_name is None:
                errors.append(
                    f"{where}: Flavor does not support TopologyAwareScheduling; the job stays pending "
                    "(tas_flavorassigner.go 174-182)"
                )
            elif levels is None:
                errors.append(f"{where}: Topology {topology_name!r} does not exist")
            elif level not in levels:
                errors.append(
                    f"{where}: Flavor does not contain the requested level {level!r} (levels {levels}); the job "
                    "stays pending (tas_flavorassigner.go 191-193)"
                )
    return errors


def trainjob_podsets(job: dict, runtime: dict) -> tuple[dict[str, dict], list[str]]:
    """(replicated job -> its pod template's annotations, problems) of a TrainJob on a runtime,
    as Trainer merges the job's runtime patches into the runtime's JobSet template, a map
    merge for annotations (kubeflow/trainer v2.3.0 pkg/runtime/core/trainingruntime.go
    mergeRuntimePatches, from 251), and as its webhook rejects a patch of a replicated job the
    runtime lacks (pkg/runtime/framework/plugins/jobset/jobset.go 181-186)."""
    podsets = {
        r["name"]: dict(r["template"]["spec"]["template"].get("metadata", {}).get("annotations", {}))
        for r in runtime["spec"]["template"]["spec"]["replicatedJobs"]
    }
    problems = []
    for patch in job["spec"].get("runtimePatches", []):
        for replicated in (((patch.get("trainingRuntimeSpec") or {}).get("template") or {}).get("spec") or {}).get(
            "replicatedJobs", []
        ):
            if replicated["name"] not in podsets:
                problems.append(
                    f"runtimePatches: replicated job {replicated['name']!r} is not in runtime "
                    f"{runtime['metadata']['name']!r} (jobset.go 181-186)"
                )
                continue
            metadata = (((replicated.get("template") or {}).get("spec") or {}).get("template") or {}).get("metadata") or {}
            podsets[replicated["name"]].update(metadata.get("annotations", {}))
    return podsets, problems


def kueue_webhook_errors(objects: list[dict]) -> list[str]:
    """Every problem Kueue's webhooks and reference checks find in these objects; empty when there is none."""
    kueue = [o for o in objects if o.get("apiVersion", "").split("/")[0] == API_GROUP]
    by_kind: dict[str, set[str]] = {}
    for o in kueue:
        by_kind.setdefault(o["kind"], set()).add(o["metadata"]["name"])
    topology_missing = {
        o["metadata"]["name"]: o["spec"]["topologyName"]
        for o in kueue
        if o["kind"] == "ResourceFlavor"
        and "topologyName" in (o.get("spec") or {})
        and o["spec"]["topologyName"] not in by_kind.get("Topology", set())
    }
    errors = []
    for o in kueue:
        kind, name, spec = o["kind"], o["metadata"]["name"], o.get("spec") or {}
        where = f"{kind} {o['metadata'].get('namespace', '') + '/' if o['metadata'].get('namespace') else ''}{name}"
        if kind == "ClusterQueue":
            errors += _cluster_queue(
                spec, where, by_kind.get("ResourceFlavor", set()), by_kind.get("AdmissionCheck", set()), topology_missing
            )
        elif kind == "Cohort":
            # cohort_webhook.go validateCohort (67-78).
            errors += _fair_sharing(spec.get("fairSharing"), f"{where}.spec.fairSharing")
            errors += _resource_groups(
                spec.get("resourceGroups", []),
                f"{where}.spec.resourceGroups",
                has_parent=bool(spec.get("parentName")),
                is_cohort=True,
            )
        elif kind == "ResourceFlavor":
            errors += _resource_flavor(spec, where)
        elif kind == "Topology":
            errors += _topology(spec, where)
        elif kind == "LocalQueue":
            # No validating webhook (webhooks.go 52-56); the controller marks a queue whose
            # cluster queue is missing inactive, ClusterQueueDoesNotExist (pkg/controller/core/localqueue_controller.go 202).
            if spec.get("clusterQueue") not in by_kind.get("ClusterQueue", set()):
                errors.append(
                    f"{where}.spec.clusterQueue: ClusterQueue {spec.get('clusterQueue')!r} does not exist; the queue "
                    "stays inactive (localqueue_controller.go 202)"
                )
        elif kind == "AdmissionCheck":
            # The provisioning controller marks a check whose parameters do not resolve inactive,
            # BadParametersRef (pkg/controller/admissionchecks/provisioning/admissioncheck_reconciler.go 55).
            parameters = spec.get("parameters")
            if parameters and parameters.get("name") not in by_kind.get(parameters.get("kind", ""), set()):
                errors.append(
                    f"{where}.spec.parameters: {parameters.get('kind')} {parameters.get('name')!r} does not exist; the "
                    "check stays inactive (admissioncheck_reconciler.go 55)"
                )
    return errors
