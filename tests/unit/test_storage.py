"""Data, scratch and checkpoints: the AWS side in the cluster stack, the claims and mounts in the platform stack."""

from __future__ import annotations

import base64
import json

import pytest
import yaml


@pytest.fixture(scope="module")
def p5(synth):
    return synth("p5-training.yaml")


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def releases(result) -> dict[str, dict]:
    return {
        r["name"]: {**r, "parsed": yaml.safe_load(r["values"][0])} for r in result.resources("platform", "helm_release").values()
    }


def runtime_pod(result) -> dict:
    (runtime,) = [
        m for m in releases(result)["training-runtimes"]["parsed"]["manifests"] if m["metadata"]["name"].startswith("torch-")
    ]
    return runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]


def one(result, kind):
    (item,) = result.resources("cluster", kind).values()
    return item


def test_checkpoint_bucket_is_private_versioned_kms_encrypted_and_tls_only(default):
    bucket = one(default, "aws_s3_bucket")
    assert bucket["bucket"].startswith("demo-checkpoints-${data.aws_caller_identity.") and bucket["bucket"].endswith("-us-west-2")
    assert bucket["force_destroy"] is False
    block = one(default, "aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert one(default, "aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    rule = one(default, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("${aws_kms_key.")
    assert one(default, "aws_s3_bucket_ownership_controls")["rule"]["object_ownership"] == "BucketOwnerEnforced"
    policy = one(default, "aws_s3_bucket_policy")["policy"]
    assert '"aws:SecureTransport": "false"' in policy and '"Effect": "Deny"' in policy


def test_old_checkpoint_versions_and_abandoned_uploads_expire(default, p5):
    for result, days in ((default, 30), (p5, 14)):
        (rule,) = one(result, "aws_s3_bucket_lifecycle_configuration")["rule"]
        assert rule["status"] == "Enabled"
        assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == days
        assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 7


def test_mountpoint_driver_gets_the_bucket_and_only_the_bucket_through_pod_identity(default):
    addons = {a["addon_name"]: a for a in default.resources("cluster", "aws_eks_addon").values()}
    association = addons["aws-mountpoint-s3-csi-driver"]["pod_identity_association"]
    assert association[0]["service_account"] == "s3-csi-driver-sa"
    role_key = association[0]["role_arn"].split(".")[1]
    role = default.resources("cluster", "aws_iam_role")[role_key]
    assert "pods.eks.amazonaws.com" in role["assume_role_policy"]
    (policy,) = [p["policy"] for p in default.resources("cluster", "aws_iam_role_policy").values() if role_key in p["role"]]
    (bucket,) = default.resources("cluster", "aws_s3_bucket")
    (key,) = [k for k, v in default.resources("cluster", "aws_kms_alias").items() if v["name"] == "alias/demo-checkpoints"]
    key_arn = default.resources("cluster", "aws_kms_alias")[key]["target_key_id"].replace(".key_id}", ".arn}")
    # The driver's IAM policy as the Mountpoint CSI driver's docs list it (docs/CONFIGURATION.md,
    # "Configuring access to S3"), scoped to this one bucket and its key.
    assert json.loads(policy)["Statement"] == [
        {"Sid": "ListCheckpoints", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"${{aws_s3_bucket.{bucket}.arn}}"},
        {
            "Sid": "ReadWriteCheckpoints",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
            "Resource": f"${{aws_s3_bucket.{bucket}.arn}}/*",
        },
        {"Sid": "UseCheckpointKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key_arn},
    ]


def test_each_training_namespace_gets_a_role_scoped_to_its_own_prefix_of_the_bucket(p5):
    import json

    bucket = "${aws_s3_bucket." + next(iter(p5.resources("cluster", "aws_s3_bucket"))) + ".arn}"
    key = (
        "${aws_kms_key." + next(k for k in p5.resources("cluster", "aws_kms_key") if k.startswith("checkpoint_bucket")) + ".arn}"
    )
    associations = {
        a["namespace"]: a
        for a in p5.resources("cluster", "aws_eks_pod_identity_association").values()
        if a["service_account"] == "training"
    }
    assert sorted(associations) == ["default", "research"]
    policies = p5.resources("cluster", "aws_iam_role_policy")
    for namespace, association in associations.items():
        role_key = association["role_arn"].split(".")[1]
        (policy,) = [json.loads(p["policy"]) for p in policies.values() if p["role"] == "${aws_iam_role." + role_key + ".id}"]
        assert policy["Statement"] == [
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket,
                "Condition": {"StringLike": {"s3:prefix": f"{namespace}/*"}},
            },
            {
                "Sid": "ReadWriteOwnPrefix",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": bucket + f"/{namespace}/*",
            },
            {
                "Sid": "UseCheckpointKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key,
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            },
        ]


def test_training_pods_run_as_the_service_account_each_namespace_has(p5):
    storage = releases(p5)["training-storage"]
    accounts = [
        (m["metadata"]["namespace"], m["metadata"]["name"])
        for m in storage["parsed"]["manifests"]
        if m["kind"] == "ServiceAccount"
    ]
    assert sorted(accounts) == [("default", "training"), ("research", "training")]
    assert runtime_pod(p5)["serviceAccountName"] == "training"


def test_every_training_namespace_gets_claims_and_the_runtime_mounts_them(p5):
    storage = releases(p5)["training-storage"]
    claims = [
        (m["metadata"]["namespace"], m["metadata"]["name"])
        for m in storage["parsed"]["manifests"]
        if m["kind"] == "PersistentVolumeClaim"
    ]
    assert sorted(claims) == [
        ("default", "checkpoints-h100"),
        ("default", "fsx"),
        ("research", "checkpoints-h100"),
        ("research", "fsx"),
    ]
    assert {s["name"] for s in storage["set"]} == {
        "inputs.checkpointBucket",
        "inputs.fsxId",
        "inputs.fsxDnsName",
        "inputs.fsxMountName",
    }
    assert all(s["value"].startswith("${data.terraform_remote_state.") for s in storage["set"])
    pod = runtime_pod(p5)
    assert {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v} == {
        "checkpoint-bucket": "checkpoints-h100",
        "dataset": "fsx",
    }
    volumes = {v["name"]: {k: w for k, w in v.items() if k != "name"} for v in pod["volumes"]}
    behind = {m["mountPath"]: volumes[m["name"]] for m in pod["containers"][0]["volumeMounts"]}
    # /dev/shm in memory: a container's default is 64 MiB on disk, and NCCL and DataLoader workers
    # exchange data through it. The code ConfigMap is optional: images with the code baked in start.
    assert behind == {
        "/dev/shm": {"emptyDir": {"medium": "Memory"}},
        "/workspace/code": {"configMap": {"name": "training-code", "optional": True}},
        "/scratch": {"emptyDir": {}},
        "/checkpoints": {"persistentVolumeClaim": {"claimName": "checkpoints-h100"}},
        "/fsx": {"persistentVolumeClaim": {"claimName": "fsx"}},
    }
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["CHECKPOINT_DIR"]["value"] == "/checkpoints/$(TRAINJOB_NAME)"
    assert env["TRAINJOB_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['jobset.sigs.k8s.io/jobset-name']"


def test_checkpoint_volumes_see_their_own_namespace_prefix_in_the_bucket_region(p5):
    volumes = [
        m
        for m in releases(p5)["training-storage"]["parsed"]["manifests"]
        if m["kind"] == "PersistentVolume" and m["spec"]["csi"]["driver"] == "s3.csi.aws.com"
    ]
    assert {v["metadata"]["name"]: v["spec"]["mountOptions"][0] for v in volumes} == {
        "checkpoints-default-h100": "prefix default/",
        "checkpoints-research-h100": "prefix research/",
    }
    assert len({v["spec"]["csi"]["volumeHandle"] for v in volumes}) == len(volumes), "a volume handle names one volume"
    assert all(
        "region us-east-1" in v["spec"]["mountOptions"] and v["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
        for v in volumes
    )


def test_training_namespaces_are_made_before_their_claims(p5):
    namespaces = {n["metadata"]["name"]: k for k, n in p5.resources("platform", "kubernetes_namespace_v1").items()}
    assert "research" in namespaces and "default" not in namespaces
    storage = releases(p5)["training-storage"]
    assert f"kubernetes_namespace_v1.{namespaces['research']}" in storage["depends_on"]


def test_a_lost_node_restarts_the_job_up_to_max_restarts(p5, default):
    for result, restarts in ((p5, 5), (default, 3)):
        (runtime,) = [
            m for m in releases(result)["training-runtimes"]["parsed"]["manifests"] if m["metadata"]["name"].startswith("torch-")
        ]
        assert runtime["spec"]["template"]["spec"]["failurePolicy"] == {"maxRestarts": restarts}


def test_lustre_sits_next_to_the_efa_nodes_encrypted_and_reachable_only_from_nodes(p5):
    fsx = one(p5, "aws_fsx_lustre_file_system")
    assert fsx["deployment_type"] == "PERSISTENT_2" and fsx["storage_capacity"] == 4800
    assert fsx["per_unit_storage_throughput"] == 500 and fsx["kms_key_id"].startswith("${aws_kms_key.")
    assert "us-east-1a" in fsx["subnet_ids"][0]
    rules = [r for r in p5.resources("cluster", "aws_vpc_security_group_ingress_rule").values() if "Lustre" in r["description"]]
    # Into the file system's group from the nodes and from itself, and into the nodes' group from it.
    assert sorted((r["from_port"], r["to_port"]) for r in rules) == [(988, 988)] * 3 + [(1018, 1023)] * 3
    assert all("cidr_ipv4" not in r for r in rules), "Lustre is open to security groups only, never to a CIDR"
    link = one(p5, "aws_fsx_data_repository_association")
    assert link["data_repository_path"] == "s3://example-training-datasets/imagenet"
    assert link["s3"]["auto_import_policy"]["events"] == ["NEW", "CHANGED", "DELETED"]


def test_nvme_groups_assemble_a_raid0_array_for_kubelet_and_containerd(p5):
    (template,) = [t for t in p5.resources("cluster", "aws_launch_template").values() if "user_data" in t]
    user_data = base64.b64decode(template["user_data"]).decode()
    assert "Content-Type: application/node.eks.aws" in user_data and "strategy: RAID0" in user_data


def test_bottlerocket_binds_kubelet_and_containerd_to_ephemeral_storage(synth):
    (template,) = [t for t in synth("bottlerocket.yaml").resources("cluster", "aws_launch_template").values() if "user_data" in t]
    user_data = base64.b64decode(template["user_data"]).decode()
    assert '"apiclient", "ephemeral-storage", "init"' in user_data and "/var/lib/kubelet" in user_data


def test_local_nvme_none_leaves_user_data_alone(synth, config_variant):
    result = synth(config_variant(edit=lambda d: d.update(storage={"local_nvme": "none"})))
    assert all("user_data" not in t for t in result.resources("cluster", "aws_launch_template").values())


def test_checkpoints_off_removes_bucket_driver_and_mounts(synth, config_variant):
    result = synth(config_variant(edit=lambda d: d.update(storage={"checkpoints": {"enabled": False}})))
    assert "aws_s3_bucket" not in result.stack("cluster")["resource"]
    assert "aws-mountpoint-s3-csi-driver" not in {a["addon_name"] for a in result.resources("cluster", "aws_eks_addon").values()}
    assert "training-storage" not in releases(result)
    assert "/checkpoints" not in {m["mountPath"] for m in runtime_pod(result)["containers"][0]["volumeMounts"]}


def test_al2023_nodes_install_the_lustre_client_only_when_fsx_is_on(p5, default):
    (template,) = [t for t in p5.resources("cluster", "aws_launch_template").values() if "user_data" in t]
    user_data = base64.b64decode(template["user_data"]).decode()
    assert user_data.count("--GPUEKS\n") == 2 and "dnf install -y lustre-client" in user_data
    for template in default.resources("cluster", "aws_launch_template").values():
        assert "lustre" not in base64.b64decode(template.get("user_data", "")).decode()


def test_mountpoint_gets_the_throughput_target_it_cannot_read_from_imds(p5):
    """Without IMDS (hop limit 1) Mountpoint falls back to 10 Gbps; the figures are Mountpoint's own table's
    (awslabs/mountpoint-s3 v1.23.0 mountpoint-s3-fs/src/autoconfigure/instance_throughput.rs)."""
    volumes = [
        m
        for m in releases(p5)["training-storage"]["parsed"]["manifests"]
        if m["kind"] == "PersistentVolume" and m["spec"]["csi"]["driver"] == "s3.csi.aws.com"
    ]
    assert volumes and all("maximum-throughput-gbps 3200" in v["spec"]["mountOptions"] for v in volumes)


@pytest.mark.parametrize(
    ("instance_types", "gbps"),
    [
        (("p5.48xlarge",), 3200),
        (("g5.12xlarge",), 40),
        (("g5.xlarge",), 10),
        (("g4dn.xlarge",), 25),
        (("trn1.2xlarge",), 12),  # 12.5 in Mountpoint's table; the option takes a whole number
        (("g6.xlarge", "g6.4xlarge"), 10),  # Spot may bring either: the smaller
    ],
)
def test_the_throughput_target_is_what_mountpoint_would_pick_with_imds(instance_types, gbps):
    import dataclasses

    from cluster_config.components.training_storage import mountpoint_throughput_gbps
    from tests.conftest import plan_for

    group = dataclasses.replace(plan_for("default.yaml").gpu_groups[0], instance_types=instance_types)
    assert mountpoint_throughput_gbps(group) == gbps


def test_each_group_of_a_namespace_gets_its_own_checkpoint_volume(config_variant):
    from tests.conftest import plan_for

    def edit(data):
        data["gpu_node_groups"].append({"name": "l4", "instance_type": "g6.12xlarge", "max_size": 2, "efa": False})

    plan = plan_for(config_variant("p5-training.yaml", edit))
    (storage,) = [r for r in plan.platform.releases if r.name == "training-storage"]
    options = {
        m["metadata"]["name"]: m["spec"]["mountOptions"][-1]
        for m in storage.values["manifests"]
        if m["kind"] == "PersistentVolume" and m["spec"]["csi"]["driver"] == "s3.csi.aws.com"
    }
    assert options == {
        "checkpoints-default-h100": "maximum-throughput-gbps 3200",
        "checkpoints-default-l4": "maximum-throughput-gbps 40",
        "checkpoints-research-h100": "maximum-throughput-gbps 3200",
        "checkpoints-research-l4": "maximum-throughput-gbps 40",
    }


def test_the_rendered_runtime_hands_dcp_its_bucket_region_and_a_prefix_under_the_namespace(synth, config_variant):
    """Rendered with the real helm: the trainer container's env, in order, so each $(VAR) is
    defined before the variable that uses it (Kubernetes expands only earlier ones)."""
    from tests import render

    _, renders = render.rendered("p5-training.yaml", synth, config_variant)
    (runtime,) = [o for s, o in renders.objects() if s.name == "training-runtimes" and o["metadata"]["name"] == "torch-h100"]
    pod = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    env = pod["containers"][0]["env"]
    names = [e["name"] for e in env]
    by_name = {e["name"]: e for e in env}
    assert by_name["CHECKPOINT_BUCKET"] == {"name": "CHECKPOINT_BUCKET", "value": "tf-inputs-checkpointbucket"}
    assert by_name["AWS_REGION"] == {"name": "AWS_REGION", "value": "us-east-1"}
    assert by_name["NAMESPACE"] == {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
    assert by_name["CHECKPOINT_PREFIX"] == {"name": "CHECKPOINT_PREFIX", "value": "$(NAMESPACE)/$(TRAINJOB_NAME)"}
    assert names.index("NAMESPACE") < names.index("CHECKPOINT_PREFIX") and names.index("TRAINJOB_NAME") < names.index(
        "CHECKPOINT_PREFIX"
    )
    assert pod["serviceAccountName"] == "training"
