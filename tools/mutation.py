"""Named regressions: one-line changes to production code that the fast suite must catch.

    python -m tools.mutation                 # every mutation, two at a time
    python -m tools.mutation --jobs 1 --only nccl-off-efa --only imds-off
    python -m tools.mutation --list

Each entry below is a change a user would pay for (an exposed API, a GPU node that never
scales down, NCCL silently off EFA). For each one the tool copies the repository's tracked
files (``git ls-files``) into a temporary directory, applies the change there, and runs the
fast suite in the copy:

    python -m pytest -m "not integration" -x -q -p no:cacheprovider

with the copy as the working directory and first on ``sys.path``. The working tree is never
touched. An unmutated copy runs too: if it fails, no result means anything. In the copies the
suite runs without tests/unit/test_mutation_list.py: that test checks that each entry's old
text is in its file, so it would "catch" every mutation whatever the other tests do.

A mutation is *caught* when a test fails (pytest exit code 1); the first failing test is
reported. The run ends with its catch rate (``catch rate: 71/72 caught (99%) in 40m12s``), the
figure docs/testing.md quotes. It exits non-zero when a mutation is missed, when the suite cannot run, or
when an entry's old text no longer occurs exactly once in its file, so the list cannot rot
silently (tests/unit/test_mutation_list.py checks the last point on every `make test`).

The shared reference files some tests read (``../shared`` beside the repository) are linked
next to each copy, so the copy sees the same surroundings as the repository.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIBLINGS = ("shared",)  # folders beside the repository that tests read (../shared/reference)
LIST_CHECK = "tests/unit/test_mutation_list.py"  # fails on any mutated copy by design; see above
FAST_SUITE = ("-m", "pytest", "-m", "not integration", "-x", "-q", "-p", "no:cacheprovider", "-rfE", f"--ignore={LIST_CHECK}")
TIMEOUT_SECONDS = 900


@dataclass(frozen=True, kw_only=True)
class Mutation:
    name: str
    file: str  # relative to the repository root
    old: str  # must occur exactly once in ``file``
    new: str
    why: str  # what a user would lose


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        name="interfaces-all-at-device-0",
        file="modules/node_launch_template.py",
        old="                device_index=n.device_index,",
        new="                device_index=0,",
        why="card 0 would carry the ENA primary and its EFA at the same device index; EC2 rejects the launch template",
    ),
    Mutation(
        name="imds-off",
        file="modules/node_launch_template.py",
        old='http_endpoint="enabled"',
        new='http_endpoint="disabled"',
        why="with the metadata endpoint off, nodeadm cannot read the instance identity and nodes never join",
    ),
    Mutation(
        name="public-endpoint-by-default",
        file="cluster_config/model.py",
        old="    endpoint_public_access: bool = False",
        new="    endpoint_public_access: bool = True",
        why="the public API endpoint would be opt-out: files that never asked for it get one, or are refused for lacking CIDRs",
    ),
    Mutation(
        name="public-subnets-below-27",
        file="cluster_config/plan/network.py",
        old="public_slices = list(eighths[-1].subnets(prefixlen_diff=3))",
        new="public_slices = list(eighths[-1].subnets(prefixlen_diff=4))",
        why="a /21 VPC would get /28 public subnets, too small for a load balancer (ELB needs a /27)",
    ),
    Mutation(
        name="fixed-size-groups-rejected",
        file="cluster_config/rules.py",
        old="    if group.min_size > group.max_size:",
        new="    if group.min_size >= group.max_size:",
        why="a fixed-size group (min == max, e.g. a reserved block used whole) would be refused",
    ),
    Mutation(
        name="service-overlap-only-when-inside-the-vpc",
        file="cluster_config/rules.py",
        old="service_net.overlaps(vpc)",
        new="service_net.subnet_of(vpc)",
        why="a service range that contains the VPC would be accepted, and service IPs would collide with node and pod IPs",
    ),
    Mutation(
        name="service-overlap-only-when-around-the-vpc",
        file="cluster_config/rules.py",
        old="service_net.overlaps(vpc)",
        new="service_net.supernet_of(vpc)",
        why="a service range inside the VPC would be accepted, and service IPs would collide with node and pod IPs",
    ),
    Mutation(
        name="autoscaler-keeps-nodes-with-system-pods",
        file="cluster_config/components/cluster_autoscaler.py",
        old='"skip-nodes-with-system-pods": "false",',
        new='"skip-nodes-with-system-pods": "true",',
        why="a GPU node running any non-daemonset kube-system pod would never scale down, and keep costing",
    ),
    Mutation(
        name="autoscaler-chart-version-ignored",
        file="cluster_config/components/cluster_autoscaler.py",
        old="version=component.version,",
        new="version=CHART.version,",
        why="a user on another Kubernetes minor could not install the matching cluster-autoscaler",
    ),
    Mutation(
        name="nccl-off-efa",
        file="cluster_config/components/training_runtimes.py",
        old='{"name": "FI_PROVIDER", "value": "efa"}',
        new='{"name": "FI_PROVIDER", "value": "tcp"}',
        why="NCCL would silently run over TCP sockets on EFA nodes, at a fraction of the bandwidth",
    ),
    Mutation(
        name="nat-charged-for-none",
        file="cluster_config/plan/network.py",
        old='"none": lambda azs: 0}',
        new='"none": lambda azs: 1}',
        why="nat_gateways: none would still make (and the summary charge) a NAT gateway",
    ),
    Mutation(
        name="s3-backend-drops-state-kms-key",
        file="stacks/common.py",
        old="            kms_key_id=backend.kms_key_id,\n            dynamodb_table=backend.dynamodb_table,",
        new="            dynamodb_table=backend.dynamodb_table,",
        why="state would be encrypted with the bucket's default key, not the user's KMS key",
    ),
    Mutation(
        name="system-label-differs-from-node-selectors",
        file="cluster_config/plan/nodes.py",
        old="        labels=dict(names.SYSTEM_NODE_LABELS),",
        new='        labels={names.SYSTEM_ROLE_LABEL: "platform"},',
        why="the operators' and the autoscaler's nodeSelectors would match no node: all Pending, nothing scales",
    ),
    Mutation(
        name="system-group-resized-by-every-apply",
        file="modules/system_node_group.py",
        old='lifecycle=TerraformResourceLifecycle(create_before_destroy=True, '
        'ignore_changes=["scaling_config[0].desired_size"]),',
        new="lifecycle=TerraformResourceLifecycle(create_before_destroy=True),",
        why="every apply would reset the system node group to its configured size, undoing the autoscaler",
    ),
    Mutation(
        name="lustre-races-its-rules",
        file="modules/lustre_file_system.py",
        old="            depends_on=[*depends_on, *self.rules],",
        new="            depends_on=list(depends_on) or None,",
        why="FSx checks the group's rules at creation: made in parallel with them, the file system fails on port 988",
    ),
    Mutation(
        name="lustre-servers-cannot-reach-the-nodes",
        file="modules/lustre_file_system.py",
        old="                    security_group_id=clients,",
        new="                    security_group_id=sg.id,",
        why="the file servers' connections to the nodes (lock callbacks, reconnects) would be dropped by the nodes' group",
    ),
    Mutation(
        name="dcgm-server-tolerates-nothing",
        file="cluster_config/components/eks_node_monitoring_agent.py",
        old='NODE_MONITORING_AGENT = {"dcgmAgent": {"tolerations": [{"operator": "Exists"}]}}',
        new='NODE_MONITORING_AGENT = {"dcgmAgent": {"tolerations": []}}',
        why="the DCGM server never runs on a tainted GPU node, the agent reports DCGMError and auto repair never sees a GPU "
        "fault",
    ),
    Mutation(
        name="dcgm-exporter-on-the-charts-list",
        file="cluster_config/components/amazon_cloudwatch_observability.py",
        old='    return {\n        "dcgmExporter": {"affinity": _on_instance_types(kind("nvidia"))},\n        "neuronMonitor": '
        '{"affinity": _on_instance_types(kind("neuron"))},\n    }',
        new='    return {"dcgmExporter": {}, "neuronMonitor": {"affinity": _on_instance_types(kind("neuron"))}}',
        why="a p5.4xlarge group (missing from the chart's list) gets no GPU metrics and its alarm never sees data",
    ),
    Mutation(
        name="neuron-alarm-on-an-unpublished-schema",
        file="cluster_config/plan/alarms.py",
        old='NEURON_ECC_SCHEMA = ("ClusterName", "InstanceId", "NeuronDevice", "NodeName")',
        new='NEURON_ECC_SCHEMA = ("ClusterName", "InstanceId", "InstanceType", "NeuronDevice", "NodeName")',
        why="the agent publishes no such dimension set, so the Trainium alarm can never fire",
    ),
    Mutation(
        name="neuron-plugin-on-the-charts-list",
        file="cluster_config/components/neuron_device_plugin.py",
        old='            "neuronInstances": sorted(n for n, t in INSTANCE_TYPES.items() if t.accelerator_kind == "neuron"),\n',
        new="",
        why="the chart's own list lacks trn2: a trn2 group gets no device plugin and no job ever starts there",
    ),
    Mutation(
        name="mountpoint-at-its-10-gbps-default",
        file="cluster_config/components/training_storage.py",
        old='                        f"maximum-throughput-gbps {mountpoint_throughput_gbps(group)}",\n                    ],',
        new="                    ],",
        why="Mountpoint cannot read IMDS from its pod and targets 10 Gbps: every checkpoint on a 3,200 Gbps p5 crawls",
    ),
    Mutation(
        name="group-mixes-gpu-models",
        file="cluster_config/rules.py",
        old="        if (other.accelerator, other.accelerator_memory_gib) != (first.accelerator, first.accelerator_memory_gib):",
        new="        if False:",
        why="an L40S and an L4 type in one group: a job sized for 48 GB runs out of memory on 24 GB",
    ),
    Mutation(
        name="kueue-resource-group-per-flavor",
        file="cluster_config/components/kueue_queues.py",
        old='    resource_groups = [{"coveredResources": covered, "flavors": flavors}]',
        new='    resource_groups = [{"coveredResources": covered, "flavors": [f]} for f in flavors]',
        why="a team with quota on two groups covers each resource twice; Kueue's webhook rejects it and the queues release rolls "
        "back",
    ),
    Mutation(
        name="team-without-group-queues",
        file="cluster_config/components/kueue.py",
        old="            for group in team.quota:\n",
        new="            for group in ():\n",
        why="a team cannot send a TrainJob to a specific group it holds quota in",
    ),
    Mutation(
        name="no-ephemeral-storage-at-zero",
        file="cluster_config/plan/nodes.py",
        old='        tags[f"{prefix}/resources/ephemeral-storage"] = self.ephemeral_storage\n',
        new="",
        why="a pod that requests ephemeral storage never fits a group at zero, and cluster-autoscaler never scales it up",
    ),
    Mutation(
        name="ephemeral-storage-ignores-eviction",
        file="cluster_config/plan/nodes.py",
        old='            return f"{self.scratch_gb * 9 // 10}G"',
        new='            return f"{self.scratch_gb}G"',
        why="the autoscaler would scale up for a pod that the node's allocatable (less the eviction threshold) cannot hold",
    ),
    Mutation(
        name="health-nccl-floor-compared-the-wrong-way",
        file="node_health/check_node.py",
        old='        "nccl_busbw", peak >= floor, peak, f">= {floor} GB/s", f"peak {peak} GB/s at {peak_row.size} B; # Avg bus '
        'bandwidth {avg}"',
        new='        "nccl_busbw", peak <= floor, peak, f">= {floor} GB/s", f"peak {peak} GB/s at {peak_row.size} B; # Avg bus '
        'bandwidth {avg}"',
        why="a node whose GPUs all-reduce at half speed would pass the health gate, and a healthy one fail it",
    ),
    Mutation(
        name="health-failed-node-untainted",
        file="node_health/check_node.py",
        old="operations = (pass_operations if passed else fail_operations)(node, verdict, taint, stamp)",
        new='operations = (pass_operations if verdict["checks"] else fail_operations)(node, verdict, taint, stamp)',
        why="a node that failed its health checks would lose the startup taint and take training jobs",
    ),
    Mutation(
        name="health-missing-dcgm-output-passes",
        file="node_health/check_node.py",
        old="        if expect.dcgm_level:\n            checks.append(_dcgm_check(results, expect))",
        new='        if expect.dcgm_level and "dcgm" in results:\n            checks.append(_dcgm_check(results, expect))',
        why="a node whose DCGM diagnostic never ran (its init container died) would pass as if it had",
    ),
    Mutation(
        name="health-dcgm-skip-accepted",
        file="node_health/check_node.py",
        old='bad = [t for t in tests.values() if t.status != "Pass" and (t.name in required or t.status not in ("Skip", "Not '
        'Run"))]',
        new='bad = [t for t in tests.values() if t.status not in ("Pass", "Skip", "Not Run")]',
        why="a diagnostic whose memory or PCIe test skipped would count as proof that the GPUs are sound",
    ),
    Mutation(
        name="health-efa-counted-per-fi_info-entry",
        file="node_health/check_node.py",
        old='return sorted({re.sub(r"-(rdm|dgrm)$", "", e.domain) for e in entries}, key=_natural)',
        new="return sorted([e.domain for e in entries], key=_natural)",
        why="fi_info lists each EFA device three times: every healthy p5 would count 96 and be replaced",
    ),
    Mutation(
        name="health-taint-removed-without-test",
        file="node_health/check_node.py",
        old='            ops += [\n                {"op": "test", "path": f"/spec/taints/{index}", "value": existing},\n         '
        '       {"op": "remove", "path": f"/spec/taints/{index}"},\n            ]',
        new='            ops += [{"op": "remove", "path": f"/spec/taints/{index}"}]',
        why="a taint added between the read and the patch would shift the list, and the pass patch would remove the wrong one",
    ),
    Mutation(
        name="health-grace-period-respected",
        file="node_health/check_node.py",
        old='"ShouldRespectGracePeriod": "false"',
        new='"ShouldRespectGracePeriod": "true"',
        why="the Auto Scaling group would keep a failed node for its whole health check grace period before replacing it",
    ),
    Mutation(
        name="health-event-outside-default",
        file="node_health/check_node.py",
        old='EVENT_NAMESPACE = "default"',
        new='EVENT_NAMESPACE = "kube-system"',
        why="the API server refuses a node Event outside default: no Event, and the failed instance is never reported",
    ),
    # Caught only by rendering the charts with the real helm (tests/unit/test_helm_render.py,
    # tests/unit/test_placement.py): the values are well-formed, the chart and the scheduler disagree.
    Mutation(
        name="mpi-launcher-drops-its-toleration",
        file="cluster_config/components/training_runtimes.py",
        old='"spec": {"template": {"spec": {**placement, "containers": [launcher_container]}}},',
        new='"spec": {"template": {"spec": {"nodeSelector": placement["nodeSelector"], "containers": [launcher_container]}}},',
        why="mpi-<group>'s launcher is pinned to the tainted GPU group without tolerating its taint: it never schedules, and "
        "nccl-tests never starts",
    ),
    Mutation(
        name="efa-plugin-selects-gpu-nodes",
        file="cluster_config/components/efa_device_plugin.py",
        old='"nodeSelector": {names.EFA_PRESENT_LABEL: "true"},',
        new='"nodeSelector": {names.GPU_PRESENT_LABEL: "true"},',
        why="the EFA plugin would select GPU nodes instead of EFA nodes: Trainium groups never advertise vpc.amazonaws.com/efa "
        "and their jobs stay Pending",
    ),
    Mutation(
        name="local-chart-template-broken",
        file="charts/manifests/templates/manifests.yaml",
        old="{{ tpl (toYaml .) $ }}",
        new="{{ tpl (toYaml .) }}",
        why="the training runtimes, queues and storage claims would fail to install: helm rejects the template at apply",
    ),
    Mutation(
        name="trainer-values-key-the-chart-ignores",
        file="cluster_config/components/kubeflow_trainer.py",
        old='"crds": {"enabled": True},',
        new='"crds": {"enabled": True}, "commonLabels": {"app.kubernetes.io/part-of": "gpu-eks"},',
        why="labels meant for every Trainer object would land on none: chart 2.3.0 documents commonLabels in values.yaml but no "
        "template reads it",
    ),
    Mutation(
        name="guard-reads-a-replace-as-an-update",
        file="tools/plan_guard.py",
        old='        return "replace"',
        new='        return "update"',
        why="a plan that replaces the EKS cluster would pass make deploy as an in-place update, and every workload go with it",
    ),
    Mutation(
        name="guard-drops-the-file-system",
        file="tools/plan_guard.py",
        old='    "aws_fsx_lustre_file_system": Guarded(',
        new='    "aws_fsx_lustre_file_system_unguarded": Guarded(',
        why="switching FSx off would delete the dataset without a warning, and what was written to /fsx with it",
    ),
    Mutation(
        name="auto-approve-lifts-the-guard",
        file="tools/cluster.py",
        old="        if not refused:",
        new="        if not refused or self.yes:",
        why="CI's make deploy AUTO_APPROVE=1 would apply a cluster replacement that nobody allowed",
    ),
    Mutation(
        name="deploy-applies-a-fresh-plan",
        file="tools/cluster.py",
        old='"-lock-timeout=5m", PLAN_FILE], self.stack_dir(stack)) != 0:',
        new='"-lock-timeout=5m", "-auto-approve"], self.stack_dir(stack)) != 0:',
        why="deploy would apply a second plan, not the one the guard judged: what changed in between goes unchecked",
    ),
    Mutation(
        name="deploy-trusts-a-stale-downstream-plan",
        file="tools/cluster.py",
        old="            if plan is None or applied:",
        new="            if plan is None:",
        why="after the network's apply, the cluster's saved plan would still use the old subnet ids from before it",
    ),
    Mutation(
        name="checkpoint-marker-before-payload",
        file="examples/code/checkpoint_protocol.py",
        old="""    write(os.path.join(directory, name), data)
    write(os.path.join(directory, marker_name(step)), marker_record(step, name, data))""",
        new="""    write(os.path.join(directory, marker_name(step)), marker_record(step, name, data))
    write(os.path.join(directory, name), data)""",
        why="a writer killed mid-checkpoint leaves a marker for a missing or half-written file; every restart then stops",
    ),
    Mutation(
        name="checkpoint-sha256-unchecked",
        file="examples/code/checkpoint_protocol.py",
        old='if len(data) != record["bytes"] or hashlib.sha256(data).hexdigest() != record["sha256"]:',
        new='if len(data) != record["bytes"]:',
        why="a checkpoint corrupted in place (same size) is loaded, and training resumes from garbage weights",
    ),
    Mutation(
        name="checkpoint-resume-skips-a-step",
        file="examples/code/checkpoint_protocol.py",
        old="    return range(resumed_from + 1, total + 1)",
        new="    return range(resumed_from + 2, total + 1)",
        why="every restart silently skips one optimizer step, so a resumed run no longer matches an uninterrupted one",
    ),
    Mutation(
        name="checkpoint-resume-data-off-by-one",
        file="examples/code/checkpoint_protocol.py",
        old="    return divmod(consumed, batches_per_epoch)",
        new="    return divmod(consumed + 1, batches_per_epoch)",
        why="a resumed run skips a batch: it trains on other data than the uninterrupted run would have",
    ),
    Mutation(
        name="checkpoint-oldest-loaded",
        file="examples/code/checkpoint_protocol.py",
        old="for name in names if (m := pattern.match(name))}, reverse=True)",
        new="for name in names if (m := pattern.match(name))})",
        why="a restart loads the oldest checkpoint and redoes almost the whole run on paid GPUs",
    ),
    Mutation(
        name="checkpoint-dcp-incomplete-loaded",
        file="examples/code/checkpoint_protocol.py",
        old="        if is_complete is None or is_complete(step):",
        new="        if True:",
        why="train_fsdp.py picks a checkpoint killed mid-write (no DCP metadata) and every restart fails to load it",
    ),
    Mutation(
        name="checkpoint-dcp-tmp-metadata-counts",
        file="examples/code/checkpoint_protocol.py",
        old='DCP_METADATA = ".metadata"',
        new='DCP_METADATA = ".metadata.tmp"',
        why="train_fsdp.py never finds a complete checkpoint (DCP renames .metadata.tmp away), so every restart starts over",
    ),
    # The component contract and the addresses constructs keep (issue 17).
    Mutation(
        name="key-gets-a-new-address",
        file="modules/rotating_key.py",
        old='            "Default",',
        new='            "key",',
        why="every KMS key would get a new address and be replaced: the data it encrypts, and the cluster's secrets, could no "
        "longer be read",
    ),
    Mutation(
        name="alias-state-left-behind",
        file="modules/rotating_key.py",
        old="        self.alias.move_from_id(",
        new="        (lambda address: None)(",
        why="an upgrade would plan each key alias as a delete at its old address and a create of the same name at the new one, "
        "which KMS refuses while the old exists",
    ),
    Mutation(
        name="install-order-ignores-after",
        file="cluster_config/components/__init__.py",
        old="        ready = next((c for c in waiting if set(c.after) <= placed), None)",
        new="        ready = waiting[0]",
        why="a release could come before the CRDs or API it needs (the queues before Kueue) and fail to install",
    ),
    Mutation(
        name="chart-roles-without-association",
        file="cluster_config/plan/platform.py",
        old="            IdentityPlan(component=component.name, identity=identity, associate=True) for identity in "
        "component.identities(basis)",
        new="            IdentityPlan(component=component.name, identity=identity, associate=False) for identity in "
        "component.identities(basis)",
        why="cluster-autoscaler's role would be handed to no service account: it gets no AWS credentials and never scales",
    ),
    Mutation(
        name="release-reads-no-cluster-input",
        file="cluster_config/inputs.py",
        old="    return tuple(name for name in FIELDS if template(name) in text)",
        new="    return ()",
        why="the storage claims would name an empty bucket and file system: every checkpoint and dataset mount fails",
    ),
    # The regressions issue 21's audit found that no test caught; each has a test with literal expectations now.
    Mutation(
        name="fsx-link-skips-existing-objects",
        file="modules/lustre_file_system.py",
        old="                batch_import_meta_data_on_create=True,",
        new="                batch_import_meta_data_on_create=False,",
        why="data already in the S3 bucket never appears under /fsx: the link only imports objects written after it was made",
    ),
    Mutation(
        name="checkpoint-role-lists-every-bucket",
        file="modules/checkpoint_bucket.py",
        old='{"Sid": "ListCheckpoints", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": self.bucket.arn},',
        new='{"Sid": "ListCheckpoints", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::*"},',
        why="the Mountpoint role (and every checkpoint writer) could list every bucket in the account, not only the checkpoint "
        "bucket",
    ),
    Mutation(
        name="lifecycle-filters-an-unused-prefix",
        file="modules/checkpoint_bucket.py",
        old='filter=[aws.S3BucketLifecycleConfigurationRuleFilter(prefix="")],',
        new='filter=[aws.S3BucketLifecycleConfigurationRuleFilter(prefix="checkpoints/")],',
        why="old checkpoint versions and abandoned uploads are billed forever: the rule filters on a prefix no checkpoint is "
        "written under",
    ),
    Mutation(
        name="gpu-alarm-pages-on-one-sample",
        file="modules/gpu_alarms.py",
        old="                evaluation_periods=EVALUATION_PERIODS,\n                datapoints_to_alarm=EVALUATION_PERIODS,",
        new="                evaluation_periods=1,\n                datapoints_to_alarm=1,",
        why="a GPU alarm pages on one hot 5-minute sample, not on a GPU that stays hot for 15 minutes",
    ),
    Mutation(
        name="lent-quota-never-reclaimed",
        file="cluster_config/components/kueue_queues.py",
        old='            "reclaimWithinCohort": "Any",',
        new='            "reclaimWithinCohort": "Never",',
        why="a team's quota is no guarantee: what it lent to the cohort can never be taken back while another team's jobs run",
    ),
    Mutation(
        name="admission-check-names-the-wrong-api-group",
        file="cluster_config/components/kueue_queues.py",
        old='"parameters": {"apiGroup": "kueue.x-k8s.io", "kind": "ProvisioningRequestConfig"',
        new='"parameters": {"apiGroup": "autoscaling.x-k8s.io", "kind": "ProvisioningRequestConfig"',
        why="the admission check points at a ProvisioningRequestConfig that does not exist: it stays inactive and no job is ever "
        "admitted",
    ),
    Mutation(
        name="autoscaler-without-podtemplates",
        file="cluster_config/components/cluster_autoscaler.py",
        old='            {"apiGroups": [""], "resources": ["podtemplates"], "verbs": ["get", "list", "watch"]},\n',
        new="",
        why="cluster-autoscaler cannot read the pod templates of a ProvisioningRequest: all-or-nothing jobs never get nodes",
    ),
    Mutation(
        name="efa-counted-per-network-card",
        file="cluster_config/plan/nodes.py",
        old="            resources[names.EFA_RESOURCE] = self.efa_interfaces",
        new="            resources[names.EFA_RESOURCE] = self.instance.network_cards",
        why="p6-b300 pods ask for 17 EFA devices (its network cards) where a node has 16 EFA interfaces, and never schedule",
    ),
    Mutation(
        name="shm-on-the-nodes-disk",
        file="cluster_config/components/training_runtimes.py",
        old='{"name": "dshm", "emptyDir": {"medium": "Memory"}},',
        new='{"name": "dshm", "emptyDir": {}},',
        why="/dev/shm is on the node's disk, not in memory: NCCL and DataLoader workers exchange data at disk speed",
    ),
    Mutation(
        name="code-configmap-required",
        file="cluster_config/components/training_runtimes.py",
        old='{"name": "code", "configMap": {"name": CODE_CONFIGMAP, "optional": True}},',
        new='{"name": "code", "configMap": {"name": CODE_CONFIGMAP, "optional": False}},',
        why="jobs with their code baked into the image hang in ContainerCreating, waiting for a training-code ConfigMap nobody "
        "made",
    ),
    Mutation(
        name="air-gapped-trainium-gets-the-cuda-image",
        file="cluster_config/components/kubeflow_trainer.py",
        old='    private = private_training_image if field == "image" else private_neuron_training_image',
        new="    private = private_training_image",
        why="an air-gapped Trainium group (no NAT) runs the CUDA image, which has no torch-neuronx: every job fails",
    ),
    Mutation(
        name="idle-cost-leaves-out-warm-gpu-nodes",
        file="cluster_config/plan/costs.py",
        old="                count_idle=group.scaling.min_size,",
        new="                count_idle=0,",
        why="the idle cost leaves out GPU nodes kept warm (min_size > 0): $55.04/h per p5.48xlarge unreported",
    ),
    Mutation(
        name="no-did-you-mean-inside-list-items",
        file="cluster_config/load.py",
        old="    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType, typing.Annotated):",
        new="    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):",
        why="a typo in a key of gpu_node_groups[0] gets no did-you-mean and no list of the allowed keys",
    ),
    Mutation(
        name="quota-of-a-whole-group-rejected",
        file="cluster_config/rules.py",
        old="            if accelerators > most:",
        new="            if accelerators >= most:",
        why="a team cannot be guaranteed a whole group: a quota equal to the group's capacity is rejected",
    ),
    Mutation(
        name="fsx-accepts-3600-gib",
        file="cluster_config/rules.py",
        old="if fsx.storage_capacity_gib != 1200 and fsx.storage_capacity_gib % FSX_CAPACITY_STEP_GIB:",
        new="if fsx.storage_capacity_gib != 1200 and fsx.storage_capacity_gib % (FSX_CAPACITY_STEP_GIB // 2):",
        why="storage_capacity_gib: 3600 passes validation and FSx refuses it at apply, after the cluster is half made",
    ),
    Mutation(
        name="max-pods-boundary-moves",
        file="cluster_config/components/vpc_cni.py",
        old="    return 110 if vcpus <= 30 else 250",
        new="    return 110 if vcpus < 30 else 250",
        why="the subnet sizing and the pod budget would disagree with what EKS sets on a 30-vCPU node (110 pods, not 250)",
    ),
    Mutation(
        name="examples-ask-for-more-nodes-than-the-group-has",
        file="job_examples.py",
        old="    return min(EXAMPLE_NODES, group.scaling.max_size)",
        new="    return EXAMPLE_NODES",
        why="the examples generated for a max_size: 1 group ask for two nodes and can never be admitted",
    ),
    # Beyond the audit's list (issue 21): queues, storage, alarms, layouts and prices.
    Mutation(
        name="borrowers-preempt-other-teams",
        file="cluster_config/components/kueue_queues.py",
        old='"borrowWithinCohort": {"policy": "Never"},',
        new='"borrowWithinCohort": {"policy": "LowerPriority"},',
        why="a job running on borrowed quota could preempt another team's lower-priority jobs inside that team's own quota",
    ),
    Mutation(
        name="cluster-queue-admits-no-namespace",
        file="cluster_config/components/kueue_queues.py",
        old='        "namespaceSelector": {},\n',
        new="",
        why="a ClusterQueue without a namespaceSelector takes workloads from no namespace: every job waits in its LocalQueue "
        "forever",
    ),
    Mutation(
        name="provisioning-never-retried",
        file="cluster_config/components/kueue_queues.py",
        old='"retryStrategy": {"backoffLimitCount": 3,',
        new='"retryStrategy": {"backoffLimitCount": 0,',
        why="one scale-up that finds no capacity fails the job's admission check for good; Kueue never asks the autoscaler again",
    ),
    Mutation(
        name="cpu-pods-wait-for-gpu-nodes",
        file="cluster_config/components/kueue_queues.py",
        old='"managedResources": sorted({g.accelerator_resource for g in groups}),',
        new='"managedResources": [],',
        why="with no managed resources Kueue provisions for every resource: CPU-only jobs wait for a ProvisioningRequest they do "
        "not need",
    ),
    Mutation(
        name="kueue-pods-do-not-tolerate-the-gpu-taint",
        file="cluster_config/components/kueue_queues.py",
        old='"tolerations": [toleration(t) for t in group.taints],',
        new='"tolerations": [],',
        why="a job on a runtime of the user's own that Kueue admits to a GPU flavor gets no toleration for the group's taint and "
        "stays Pending",
    ),
    Mutation(
        name="checkpoint-versions-kept-a-fixed-30-days",
        file="modules/checkpoint_bucket.py",
        old="noncurrent_days=props.plan.noncurrent_version_days,",
        new="noncurrent_days=30,",
        why="storage.checkpoints.noncurrent_version_days would be ignored: old versions kept (and billed) for 30 days whatever "
        "the user set",
    ),
    Mutation(
        name="abandoned-uploads-kept-a-year",
        file="modules/checkpoint_bucket.py",
        old="days_after_initiation=7,",
        new="days_after_initiation=365,",
        why="the parts of checkpoint uploads killed mid-write are billed for a year before S3 drops them",
    ),
    Mutation(
        name="checkpoint-bucket-destroyed-with-its-objects",
        file="modules/checkpoint_bucket.py",
        old='aws.S3Bucket(self, "bucket", bucket=name, force_destroy=False)',
        new='aws.S3Bucket(self, "bucket", bucket=name, force_destroy=True)',
        why="make destroy would delete every checkpoint with the bucket, without a word",
    ),
    Mutation(
        name="checkpoint-bucket-accepts-plain-http",
        file="modules/checkpoint_bucket.py",
        old='"Condition": {"Bool": {"aws:SecureTransport": "false"}},',
        new='"Condition": {"Bool": {"aws:SecureTransport": "true"}},',
        why="the bucket policy would deny TLS requests and let plain-HTTP ones through: checkpoints readable on the wire, and "
        "every TLS writer refused",
    ),
    Mutation(
        name="keys-never-rotate",
        file="modules/rotating_key.py",
        old="            enable_key_rotation=True,",
        new="            enable_key_rotation=False,",
        why="no KMS key (cluster secrets, logs, checkpoints, FSx) would ever rotate its material, against the project's secure "
        "defaults",
    ),
    Mutation(
        name="gpu-alarm-recovery-unannounced",
        file="modules/gpu_alarms.py",
        old="                ok_actions=actions or None,\n            )",
        new="            )",
        why="the on-call is paged when a GPU group alarms but never told it recovered",
    ),
    Mutation(
        name="scratch-fsx-never-sees-new-objects",
        file="modules/lustre_file_system.py",
        old='auto_import_policy="NEW_CHANGED_DELETED" if scratch_import else None,',
        new="auto_import_policy=None,",
        why="a SCRATCH_2 file system imports the bucket once: datasets added to S3 later never appear under /fsx",
    ),
    Mutation(
        name="fsx-link-imports-new-objects-only",
        file="modules/lustre_file_system.py",
        old='events=["NEW", "CHANGED", "DELETED"],',
        new='events=["NEW"],',
        why="objects changed or deleted in S3 stay stale under /fsx: a job trains on yesterday's shards",
    ),
    Mutation(
        name="p6-b300-efa-on-card-0",
        file="cluster_config/plan/nodes.py",
        old="    if instance.card0_supports_efa and remaining:",
        new="    if remaining:",
        why="p6-b300 would get an EFA on its ENA-only card 0: EC2 refuses the launch template and no p6-b300 node ever starts",
    ),
    Mutation(
        name="quotas-that-fill-a-group-rejected",
        file="cluster_config/rules.py",
        old="        if total > most:",
        new="        if total >= most:",
        why="two teams could not split a group between them: quotas adding up to its capacity are rejected",
    ),
    Mutation(
        name="nccl-tests-run-one-node-of-ranks",
        file="job_examples.py",
        old="        str(nodes * gpus),",
        new="        str(gpus),",
        why="the generated nccl-tests job starts one node's worth of ranks: it never crosses EFA and measures nothing the user "
        "asked for",
    ),
    Mutation(
        name="nat-priced-ten-times",
        file="cluster_config/catalog.py",
        old="NAT_GATEWAY_USD_PER_HOUR = 0.045",
        new="NAT_GATEWAY_USD_PER_HOUR = 0.45",
        why="the cost summary charges $0.45/h per NAT gateway: a user picks a worse network layout to save money that is not "
        "spent",
    ),
    Mutation(
        name="endpoints-priced-once-not-per-az",
        file="cluster_config/plan/costs.py",
        old="        count = len(network.interface_endpoints) * len(network.availability_zones)",
        new="        count = len(network.interface_endpoints)",
        why="interface endpoints are billed per AZ: the idle cost would under-report them by the number of zones",
    ),
    Mutation(
        name="p5-priced-at-a-tenth",
        file="cluster_config/instance_types.csv",
        old="p5.48xlarge,NVIDIA H100,nvidia,8,80,192,2048,3200,32,32,true,true,true,8,30400,true,55.04,",
        new="p5.48xlarge,NVIDIA H100,nvidia,8,80,192,2048,3200,32,32,true,true,true,8,30400,true,5.504,",
        why="the summary would show a p5.48xlarge at $5.50/h: a user sizes a budget on a tenth of the real $55.04/h",
    ),
    Mutation(
        name="prefix-budget-without-the-warm-prefix",
        file="cluster_config/components/vpc_cni.py",
        old="    prefixes = -(-pods // PREFIX_SIZE) + WARM_PREFIX_TARGET",
        new="    prefixes = -(-pods // PREFIX_SIZE)",
        why="the subnet check would leave out the warm /28 each node holds: subnets pass that run out of addresses at max-pods",
    ),
    Mutation(
        name="autoscaler-without-startup-taint",
        file="cluster_config/components/cluster_autoscaler.py",
        old='        "startup-taint": names.HEALTH_KEY,\n',
        new="",
        why="cluster-autoscaler takes the health gate's taint for a real one: a group at zero never scales up for a "
        "training pod, and a node waiting for its checks counts as ready capacity",
    ),
    Mutation(
        name="device-plugins-without-health-toleration",
        file="cluster_config/components/release_spec.py",
        old='    seen: dict[tuple, dict] = {\n        (names.HEALTH_KEY, "NoSchedule"): {"key": names.HEALTH_KEY, "operator": '
        '"Exists", "effect": "NoSchedule"}\n    }',
        new="    seen: dict[tuple, dict] = {}",
        why="the device plugins never run on a node under the health gate, so its GPUs, Neuron and EFA devices are "
        "never advertised, the checks cannot request them, and the node never passes",
    ),
    Mutation(
        name="past-extended-support-accepted",
        file="cluster_config/rules.py",
        old="    if support is versions.Support.ENDED:\n",
        new="    if False:\n",
        why="a config pinning 1.30 or 1.31 would validate, then EKS refuses to create the cluster mid-apply",
    ),
    Mutation(
        name="extended-support-priced-as-standard",
        file="cluster_config/versions.py",
        old="        return EXTENDED_USD_PER_HOUR\n",
        new="        return STANDARD_USD_PER_HOUR\n",
        why="the summary would show $0.10/h for a control plane billed at $0.60/h: six times the estimate",
    ),
    Mutation(
        name="prefix-list-without-condition",
        file="modules/checkpoint_bucket.py",
        old='                "Condition": {"StringLike": {"s3:prefix": f"{namespace}/*"}},\n            },',
        new="            },",
        why="a team's jobs could list every other team's checkpoints, names and sizes, in the shared bucket",
    ),
    Mutation(
        name="prefix-widened-to-bucket",
        file="modules/checkpoint_bucket.py",
        old='                "Resource": f"{self.bucket.arn}/{namespace}/*",',
        new='                "Resource": f"{self.bucket.arn}/*",',
        why="a team's jobs could read and overwrite any other team's checkpoints: isolation back to a convention",
    ),
    Mutation(
        name="checkpoint-prefix-without-namespace",
        file="cluster_config/components/training_runtimes.py",
        old='''"value": "$(NAMESPACE)/$(TRAINJOB_NAME)"}''',
        new='''"value": "$(TRAINJOB_NAME)"}''',
        why="every DCP save would be refused: the job's role reaches only <namespace>/, and jobs of two teams would share keys",
    ),
    Mutation(
        name="config-keys-undescribed",
        file="cluster_config/schema.py",
        old="strict=True, use_attribute_docstrings=True)",
        new="strict=True)",
        why="the configuration reference and the editors' schema would lose every key's description",
    ),
    Mutation(
        name="schema-allows-unknown-keys",
        file="tools/gen_docs.py",
        old='    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"',
        new='    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"\n    document.pop("additionalProperties")',
        why="an editor would accept a misspelt top-level key that the loader then rejects",
    ),
    Mutation(
        name="node-group-without-version",
        file="modules/gpu_node_group.py",
        old="            version=props.context.kubernetes_version,\n",
        new="",
        why="a minor bump would upgrade the control plane and leave the GPU nodes on the old minor's AMI",
    ),
    Mutation(
        name="addon-without-resolved-version",
        file="modules/managed_addons.py",
        old='                    addon_version=version.version,\n                    resolve_conflicts_on_create="OVERWRITE",',
        new='                    resolve_conflicts_on_create="OVERWRITE",',
        why="a minor bump would leave every add-on at the version EKS first installed",
    ),
    Mutation(
        name="autoscaler-image-not-per-minor",
        file="cluster_config/components/cluster_autoscaler.py",
        old='image_tag=None if toggle.version else image_for(minor))',
        new='image_tag=None)',
        why="the autoscaler would run its chart's x.y.0 image, without the patches (ProvisioningRequest fixes) of its minor",
    ),
    Mutation(
        name="update-policy-ignored",
        file="modules/gpu_node_group.py",
        old="                max_unavailable=plan.update.max_unavailable,\n                "
        "max_unavailable_percentage=plan.update.max_unavailable_percentage,",
        new="                max_unavailable=1,",
        why="a group's rolling-update width would be one node whatever its update policy says",
    ),
    Mutation(
        name="system-namespace-accepted",
        file="cluster_config/rules.py",
        old='    if namespace in RESERVED_NAMESPACES or namespace.startswith("kube-"):',
        new='    if namespace.startswith("kube-"):',
        why="a team given kueue-system or kubeflow-system gets its quota and TrainJobs beside the platform's controllers",
    ),
    Mutation(
        name="short-reservation-id-accepted",
        file="cluster_config/model.py",
        old='pattern=r"^cr-[0-9a-f]{17}$"',
        new='pattern=r"^cr-[0-9a-f]{8,17}$"',
        why="cr-0a1b2c3d validates and the node group fails at apply, after the cluster is built",
    ),
    Mutation(
        name="lockfile-with-dynamodb",
        file="cluster_config/plan/backend.py",
        old="        return self.dynamodb_table is None",
        new="        return True",
        why="a team on Terraform < 1.10 with a lock table cannot init: use_lockfile is an unknown argument there",
    ),
    Mutation(
        name="region-prices-ignored",
        file="cluster_config/catalog.py",
        old='    return REGIONAL_PRICES["prices"].get(name, {}).get(region)',
        new="    return INSTANCE_TYPES[name].on_demand_usd_per_hour",
        why="an eu-west-1 cluster is priced at us-east-1's rates: g5.12xlarge 12% low, p5.48xlarge priced where it is not sold",
    ),
    Mutation(
        name="capacity-block-idle-free",
        file="cluster_config/plan/costs.py",
        old="                    count_idle=group.scaling.max_size,",
        new="                    count_idle=0,",
        why="the idle figure leaves out a Capacity Block that is paid whether or not its nodes run",
    ),
    Mutation(
        name="teams-kept-with-queues-off",
        file="cluster_config/rules.py",
        old="    if not config.queues.enabled and config.queues.teams:",
        new="    if False:",
        why="teams written while queues are off are silently ignored: no quota is enforced for anyone",
    ),
    Mutation(
        name="flavor-without-topology",
        file="cluster_config/components/kueue_queues.py",
        old="    if group.name in queues.topology_groups:",
        new="    if group.name not in queues.topology_groups:",
        why="EFA groups' jobs would be placed anywhere in the network, and flavors on unlabelled nodes would admit nothing",
    ),
    Mutation(
        name="example-without-topology-annotation",
        file="job_examples.py",
        old="    if queues is None or group.name not in queues.topology_groups:",
        new="    if queues is None or group.name in queues.topology_groups:",
        why="the examples would ask for no level on topology groups (no placement; refused in a mixed team queue) and for one "
        "elsewhere",
    ),
    Mutation(
        name="topology-levels-reordered",
        file="cluster_config/names.py",
        old='for n in (1, 2, 3))',
        new='for n in (3, 2, 1))',
        why="Kueue would treat the bottom switch layer as the widest domain, and examples would prefer the top of the network",
    ),
    Mutation(
        name="topology-layer-4",
        file="cluster_config/names.py",
        old='for n in (1, 2, 3))',
        new='for n in (1, 2, 3, 4))',
        why="Kueue ignores nodes missing a level's label: every three-layer type (p4d, p5, trn1) would admit no job",
    ),
    Mutation(
        name="topology-on-unlabelled-types",
        file="cluster_config/components/kueue.py",
        old="    return group.efa and all(t in catalog.NETWORK_TOPOLOGY_LAYERS for t in group.instance_types)",
        new="    return group.efa",
        why="a g5 or g6 EFA group's flavor would name the Topology, Kueue would see none of its nodes, and no job would start",
    ),
    Mutation(
        name="launcher-without-topology",
        file="job_examples.py",
        old='        also_unconstrained=("launcher",),',
        new="        also_unconstrained=(),",
        why="in a team queue over a topology group and a plain one, nccl-tests' launcher would never be admitted",
    ),
    Mutation(
        name="one-node-job-prefers-layer-3",
        file="job_examples.py",
        old="names.HOSTNAME_LABEL if nodes == 1 else",
        new="names.HOSTNAME_LABEL if nodes == 0 else",
        why="a one-node job would ask for a network layer where its host is the exact level",
    ),
    Mutation(
        name="daemonset-ignores-passed-label",
        file="cluster_config/components/node_health_check.py",
        old='''"operator": "NotIn", "values": [names.HEALTH_PASSED]}''',
        new='''"operator": "NotIn", "values": ["done"]}''',
        why="the checker would never leave a passed node: it would hold every GPU and EFA device of the node for ever",
    ),
    Mutation(
        name="rbac-wider",
        file="cluster_config/components/node_health_check.py",
        old='''"resources": ["nodes"], "verbs": ["get", "patch"]}''',
        new='''"resources": ["nodes"], "verbs": ["get", "patch", "delete"]}''',
        why="a pod on every new GPU node could delete any node of the cluster",
    ),
    Mutation(
        name="iam-without-tag-condition",
        file="cluster_config/components/node_health_check.py",
        old='            "Condition": {"StringEquals": {f"aws:ResourceTag/{names.autoscaler_owner_tag(context.cluster_name)}": '
        '"owned"}},\n        },',
        new="        },",
        why="the checker could mark any instance of any Auto Scaling group in the account unhealthy and have it terminated",
    ),
    Mutation(
        name="taint-missing-on-groups",
        file="cluster_config/plan/nodes.py",
        old="        startup_taints=(parse_taint(names.HEALTH_PENDING_TAINT),) if health_gated else (),",
        new="        startup_taints=(),",
        why="a new node with a bad GPU or missing EFA would take a job before its check ran: the gate would gate nothing",
    ),
    Mutation(
        name="recheck-on-unpassed-nodes",
        file="cluster_config/components/node_health_check.py",
        old='''"operator": "In", "values": [names.HEALTH_PASSED]}''',
        new='''"operator": "NotIn", "values": [names.HEALTH_PASSED]}''',
        why="the recheck would land on pending and failed nodes beside the gate's own pod, and never on a node that passed",
    ),
    Mutation(
        name="recheck-priority-not-expendable",
        file="cluster_config/components/node_health_check.py",
        old="RECHECK_PRIORITY = -100",
        new="RECHECK_PRIORITY = 0",
        why="a recheck of a group scaled to zero would make the autoscaler buy GPU nodes, and training pods could not preempt it",
    ),
    Mutation(
        name="recheck-checks-fresh-nodes-again",
        file="node_health/check_node.py",
        old="    if age < fresh_for:",
        new="    if age < 0:",
        why="a run's pods would check the same idle node again and again until the deadline, holding its GPUs all night",
    ),
    Mutation(
        name="recheck-dcgm-ignores-skip",
        file="cluster_config/components/node_health_check.py",
        old="for_recheck=recheck",
        new="for_recheck=False",
        why="a pod landing on a node the run has just checked would hold it for the whole DCGM diagnostic again",
    ),
    Mutation(
        name="recheck-runs-on-after-sigterm",
        file="node_health/check_node.py",
        old="        _stop_on_sigterm()",
        new="        pass",
        why="a recheck preempted by a training pod would run on to SIGKILL and could still judge the node from cut-short tools",
    ),
    Mutation(
        name="recheck-schedule-unchecked",
        file="cluster_config/components/node_health_check.py",
        old="    problem = cron_problem(schedule)",
        new="    problem = None",
        why="a schedule Kubernetes rejects would fail the platform release at apply time, not at synth",
    ),
    Mutation(
        name="fi-info-from-path",
        file="node_health/check_node.py",
        old='''    fi_info: str = "/opt/amazon/efa/bin/fi_info"''',
        new='''    fi_info: str = "fi_info"''',
        why="on the Neuron training image fi_info is not on PATH: every Trainium EFA node would fail its gate and be replaced",
    ),
    Mutation(
        name="recheck-report-cut-by-sigterm",
        file="node_health/check_node.py",
        old="    signal.signal(signal.SIGTERM, signal.SIG_IGN)",
        new="    pass",
        why="a recheck that failed a node, then preempted by the gate's pod, would leave no event and no Auto Scaling report",
    ),
    Mutation(
        name="recheck-dcgm-ignores-sigterm",
        file="node_health/check_node.py",
        old='''            "trap 'kill -TERM $pid; wait $pid; exit 0' TERM; "''',
        new='''            ""''',
        why="a preempted recheck would keep a training pod waiting out the grace period while dcgmi runs on",
    ),
    Mutation(
        name="recheck-on-trainium",
        file="cluster_config/components/node_health_check.py",
        old=" and plan.nvidia else None,",
        new=" else None,",
        why="the recheck would run beside Trainium jobs holding the chips as neuroncores, and could fail and replace their node",
    ),
    Mutation(
        name="recheck-preempts",
        file="cluster_config/components/node_health_check.py",
        old='''        "preemptionPolicy": "Never",''',
        new='''        "preemptionPolicy": "PreemptLowerPriority",''',
        why="a recheck could evict other low-priority pods to take a node",
    ),
    Mutation(
        name="recheck-preemption-counted",
        file="cluster_config/components/node_health_check.py",
        old='''"rules": [{"action": "Ignore", "onPodConditions"''',
        new='''"rules": [{"action": "Count", "onPodConditions"''',
        why="every recheck preempted by a training pod would count towards the Job's backoff limit and end the run as failed",
    ),
    Mutation(
        name="recheck-tolerates-startup-taint",
        file="cluster_config/components/node_health_check.py",
        old="        tolerations = [toleration(t) for t in group.taints]",
        new="        tolerations = [toleration(t) for t in group.node_taints]",
        why="the recheck would tolerate the gate's taint, which only the gate's own pod should",
    ),
    Mutation(
        name="emulator-answers-gone-rule-as-moto",
        file="tools/emulator.py",
        old='''        command = [sys.executable, str(Path(__file__).with_name("emulator_server.py"))]''',
        new='''        command = [sys.executable, "-m", "moto.server"]''',
        why="a revoke the SDK resent after a dropped connection would fail the rehearsal's destroy now and then",
    ),
)


def problem(mutation: Mutation, root: Path = ROOT) -> str | None:
    """Why ``mutation`` cannot be applied to the files under ``root``, or None."""
    path = root / mutation.file
    if not path.is_file():
        return f"{mutation.file} does not exist"
    count = path.read_text().count(mutation.old)
    if count != 1:
        return f"its old text occurs {count} times in {mutation.file}, not once"
    if mutation.new == mutation.old:
        return "old and new text are the same"
    if path.suffix == ".py":
        try:
            ast.parse(apply(mutation, path.read_text()))
        except SyntaxError as error:
            return f"the mutated {mutation.file} is not valid Python: {error}"
    return None


def apply(mutation: Mutation, text: str) -> str:
    return text.replace(mutation.old, mutation.new, 1)


@dataclass(frozen=True)
class Outcome:
    name: str
    result: str  # caught, missed, passed, failed, broken, stale
    detail: str  # the first failing test, or why
    seconds: float


def tracked_files(root: Path) -> list[str]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True).stdout
    return [name for name in listing.split("\0") if name]


def make_copy(files: list[str], parent: Path) -> Path:
    copy = parent / ROOT.name
    for name in files:
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree, not yet committed
            continue
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    for sibling in SIBLINGS:
        if (ROOT.parent / sibling).exists():
            (parent / sibling).symlink_to(ROOT.parent / sibling)
    return copy


def first_failure(output: str) -> str:
    """The test id of pytest's first "FAILED <id> - <message>" line (ids may hold spaces)."""
    match = re.search(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", output, re.MULTILINE)
    return match.group(1) if match else "(no test named in the output)"


def run(mutation: Mutation | None, files: list[str], keep: bool) -> Outcome:
    name = mutation.name if mutation else "baseline (no mutation)"
    started = time.monotonic()
    parent = Path(tempfile.mkdtemp(prefix="mutation-"))
    try:
        copy = make_copy(files, parent)
        if mutation is not None:
            path = copy / mutation.file
            path.write_text(apply(mutation, path.read_text()))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(copy), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        try:
            proc = subprocess.run(
                [sys.executable, *FAST_SUITE], cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            return Outcome(name, "broken", f"timed out after {TIMEOUT_SECONDS}s", time.monotonic() - started)
        output = proc.stdout + proc.stderr
        seconds = time.monotonic() - started
        if mutation is None:
            return Outcome(
                name, "passed" if proc.returncode == 0 else "failed", "" if proc.returncode == 0 else output[-3000:], seconds
            )
        if proc.returncode == 1:
            return Outcome(name, "caught", first_failure(output), seconds)
        if proc.returncode == 0:
            return Outcome(name, "missed", mutation.why, seconds)
        # 2-5: interrupted, internal error, usage error, nothing collected: the suite did not judge it.
        return Outcome(name, "broken", f"pytest exited {proc.returncode}: {output[-1500:]}", seconds)
    finally:
        if keep:
            print(f"kept {parent}", file=sys.stderr)
        else:
            shutil.rmtree(parent, ignore_errors=True)


def catch_rate(results: list[Outcome], seconds: float) -> str:
    """The run's last line: how many of the mutations the fast suite caught, as a count and a share."""
    caught = sum(o.result == "caught" for o in results)
    share = f"{100 * caught / len(results):.0f}%" if results else "-"
    return f"catch rate: {caught}/{len(results)} caught ({share}) in {seconds // 60:.0f}m{seconds % 60:02.0f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutations run at the same time (default 2)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this mutation (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the mutations and exit")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies")
    args = parser.parse_args(argv)

    if args.list:
        for m in MUTATIONS:
            print(f"{m.name}\n  {m.file}: {m.old.strip()!r} -> {m.new.strip()!r}\n  {m.why}")
        return 0
    unknown = set(args.only) - {m.name for m in MUTATIONS}
    if unknown:
        parser.error(f"unknown mutation(s): {', '.join(sorted(unknown))}")
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]

    started = time.monotonic()
    stale = [Outcome(m.name, "stale", why, 0.0) for m in chosen if (why := problem(m))]
    runnable = [m for m in chosen if not problem(m)]
    files = tracked_files(ROOT)
    print(
        f"{len(runnable)} mutations and a baseline, {args.jobs} at a time, each a full fast-suite run in a copy of {ROOT}",
        flush=True,
    )

    def job(mutation):
        outcome = run(mutation, files, args.keep)
        print(f"  {outcome.result:<7} {outcome.name} ({outcome.seconds:.0f}s)", flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(job, [None, *runnable]))
    baseline, results = outcomes[0], outcomes[1:] + stale

    width = max(len(o.name) for o in results + [baseline])
    print(f"\n{'mutation':<{width}}  {'result':<7}  {'seconds':>7}  first failing test (or why it matters)")
    for outcome in results:
        print(f"{outcome.name:<{width}}  {outcome.result:<7}  {outcome.seconds:>7.0f}  {outcome.detail}")
    print(f"{baseline.name:<{width}}  {baseline.result:<7}  {baseline.seconds:>7.0f}")
    caught = sum(o.result == "caught" for o in results)
    print(f"\n{catch_rate(results, time.monotonic() - started)}")
    if baseline.result != "passed":
        print(f"\nThe unmutated copy fails, so these results mean nothing:\n{baseline.detail}", file=sys.stderr)
        return 2
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
