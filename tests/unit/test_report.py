"""The synth summary's capacity and cost figures, next commands and stack list."""

import json

import pytest

import report
from cluster_config import load_config
from cluster_config.plan import build_plan
from tests.conftest import CONFIG_DIR, plan_for


def render(config_file, stacks=None):
    return report.render(plan_for(config_file), stacks or {"x-network": 1}, "cdktf.out")


# List prices as literals (us-east-1, /work/shared/reference/gpu-instances.csv and the AWS pricing pages):
# EKS control plane $0.10/h, NAT gateway $0.045/h, an interface endpoint $0.01/h per AZ, m6i.large $0.096/h,
# g5.12xlarge $5.672/h, p5.48xlarge $55.04/h.
def test_default_idle_cost_is_control_plane_one_nat_two_system_nodes_and_the_endpoints():
    text = render("default.yaml")
    # 0.10 + 0.045 + 3 endpoints x 3 AZs x 0.01 + 2 x 0.096 = 0.427
    assert "at idle (min sizes):   $0.43/h" in text
    # 0.10 + 0.045 + 0.09 + 4 x 0.096 + 2 x 5.672 = 11.963
    assert "at full scale (max):   $11.96/h" in text
    assert "gpu a10g (g5.12xlarge)               0-2 x $5.672" in text


def test_gpu_nodes_kept_warm_are_part_of_the_idle_cost(config_variant):
    """min_size: 1 keeps a p5.48xlarge running, and billed, while nothing trains."""
    text = render(config_variant("p5-efa.yaml", edit={"gpu_node_groups.0.min_size": 1, "gpu_node_groups.0.desired_size": 1}))
    # 0.10 + 2 NATs x 0.045 + 3 endpoints x 2 AZs x 0.01 + 2 x 0.096 + 55.04 = 55.482
    assert "at idle (min sizes):   $55.48/h" in text
    assert "gpu h100 (p5.48xlarge)               1-2 x $55.04" in text
    # ... + 4 x 0.096 + 2 x 55.04 = 110.714
    assert "at full scale (max):   $110.71/h" in text


def test_gpu_table_shows_gpus_and_efa_per_node_and_totals():
    line = next(l for l in render("p5-efa.yaml").splitlines() if l.strip().startswith("h100"))
    assert line.split()[:6] == ["h100", "p5.48xlarge", "8", "32", "0-2", "0-16"]


def test_one_nat_per_az_is_counted():
    assert "NAT gateway                          2-2 x $0.045" in render("p5-efa.yaml")


def test_capacity_blocks_are_flagged_and_unknown_prices_are_not_guessed(config_variant):
    text = render("capacity-block.yaml")
    assert "capacity_block (priced differently)" in text
    assert "shown at On-Demand prices" not in text  # no Spot group there
    trn2 = config_variant("trainium.yaml", edit={"gpu_node_groups.0.instance_type": "trn2.48xlarge"})
    assert "(no price for gpu trn1 (trn2.48xlarge))" in render(trn2)


def test_existing_vpc_has_no_nat_cost():
    assert "NAT gateway" not in render("existing-vpc.yaml")


def test_no_nat_gateways_cost_nothing(config_variant):
    """nat_gateways: none is chosen to save the NAT's hourly price; the summary must not charge it."""
    text = render(config_variant(edit={"network.nat_gateways": "none"}))
    assert "NAT gateway" not in text
    # The interface endpoints stay (3 in 3 AZs): without NAT they are the nodes' way out.
    # 0.10 + 9 x 0.01 + 2 x 0.096 = 0.382
    assert "at idle (min sizes):   $0.38/h" in text


@pytest.mark.parametrize("config", ["default.yaml", "p5-efa.yaml"])
def test_next_commands_act_on_the_config_in_use(config):
    path = f"config/{config}"
    text = report.render(build_plan(load_config(CONFIG_DIR / config).config), {}, "out", path)
    next_lines = text.split("Next:")[1]
    for target in ("plan", "deploy", "destroy"):
        assert f"make {target} CONFIG={path} " in next_lines
    assert "npx cdktf deploy" not in text and "aws eks update-kubeconfig --region" in next_lines


def test_a_config_path_with_spaces_is_quoted():
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    assert "make deploy CONFIG='my configs/a.yaml'" in report.render(plan, {}, "out", "my configs/a.yaml")


def test_interface_endpoints_cost_a_cent_per_endpoint_per_az_and_are_in_the_idle_figure():
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    assert plan.network.vpc_endpoints == ("s3", "ecr.api", "ecr.dkr", "sts")
    text = report.render(plan, {}, "out")
    assert len(plan.network.availability_zones) == 3
    assert "VPC interface endpoints (3 x 3 AZs)  9-9 x $0.01" in text
    assert "Interface endpoints, included in both figures: 3 (ecr.api, ecr.dkr, sts) x 3 AZs x $0.01 = $0.09/h" in text


def test_the_price_region_is_not_said_to_differ_from_itself():
    text = render("p5-efa.yaml")  # us-east-1
    assert "On-Demand list prices in us-east-1, excluding" in text
    assert " price)" not in text and "may differ" not in text


# eu-west-1 On-Demand, $/h, tsaol/aws-gpu data/all_gpu_instances.js (vantage data, 2026-01-21):
# g5.12xlarge 6.33167 (us-east-1: 5.672); p5.48xlarge has no eu-west-1 On-Demand price there.
def test_a_configuration_outside_us_east_1_is_priced_in_its_own_region(config_variant):
    text = render(
        config_variant(
            edit={
                "region": "eu-west-1",
                "network.availability_zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
                "gpu_node_groups.0.availability_zone": "eu-west-1a",
            }
        )
    )
    assert "On-Demand list prices in eu-west-1, excluding" in text
    assert "gpu a10g (g5.12xlarge)               0-2 x $6.33167\n" in text
    # What the catalog holds for us-east-1 only is marked as such, never passed off as eu-west-1's.
    assert "NAT gateway                          1-1 x $0.045  (us-east-1 price)" in text
    assert "The catalog has us-east-1 prices only for the lines so marked; eu-west-1's may differ." in text
    assert "GPU and Trainium types in eu-west-1: tsaol/aws-gpu data/all_gpu_instances.js" in text


def test_a_type_without_a_price_in_the_region_is_unpriced_not_given_us_east_1s(config_variant):
    path = config_variant(
        "p5-efa.yaml",
        edit={
            "region": "eu-west-1",
            "network.availability_zones": ["eu-west-1a", "eu-west-1b"],
            "gpu_node_groups.0.availability_zone": "eu-west-1a",
        },
    )
    text = render(path)
    assert "gpu h100 (p5.48xlarge)               0-2 x n/a\n" in text
    assert "(no price for gpu h100 (p5.48xlarge))" in text
    assert "No eu-west-1 On-Demand price for gpu h100 (p5.48xlarge): the type may not be sold On-Demand there." in text
    assert "55.04" not in text


def test_a_capacity_block_is_paid_at_idle_as_at_full_scale_and_flagged_paid_up_front():
    text = render("capacity-block.yaml")
    # The block's 4 reserved p5en nodes count at idle (min_size 0) as at full scale.
    assert "gpu h200-block (p5en.48xlarge, Capacity Block) 4-4 x paid up front" in text
    assert "(no price for gpu h200-block (p5en.48xlarge, Capacity Block): paid up front)" in text.split("at full scale")[0]
    assert (
        "gpu h200-block (p5en.48xlarge, Capacity Block): the block was paid up front for its whole term, so its 4 nodes "
        "cost the same idle or busy; the figures above leave it out (set capacity_block_usd_per_hour to count it)."
    ) in text
    assert "63.296" not in text  # never the On-Demand rate


def test_a_capacity_block_at_a_known_rate_is_in_the_idle_figure(config_variant):
    text = render(config_variant("capacity-block.yaml", edit={"gpu_node_groups.0.capacity_block_usd_per_hour": 31.464}))
    # 0.10 + 0.045 + 9 x 0.01 + 2 x 0.096 + 4 x 31.464 = 126.283: the block's nodes, idle or busy.
    assert "at idle (min sizes):   $126.28/h\n" in text
    assert "gpu h200-block (p5en.48xlarge, Capacity Block) 4-4 x $31.464\n" in text
    assert (
        "paid up front for its whole term, so its 4 nodes are in both figures, at the block's $31.464 per instance-hour" in text
    )


def test_existing_vpc_speaks_of_no_network_stack_and_no_endpoints():
    plan = build_plan(load_config(CONFIG_DIR / "existing-vpc.yaml").config)
    text = report.render(plan, {"byovpc-cluster": 30, "byovpc-platform": 6}, "out", "config/existing-vpc.yaml")
    assert "network" not in text.lower()
    assert "endpoint" not in text.split("Next:")[0].lower()
    assert "applies byovpc-cluster, byovpc-platform in order" in text


def test_validation_output_has_capacity_and_cost_but_no_stack_list():
    plan = build_plan(load_config(CONFIG_DIR / "p5-efa.yaml").config)
    text = report.render_validation(plan, "config/p5-efa.yaml")
    assert text.startswith("config/p5-efa.yaml: valid. Cluster p5train in us-east-1")
    assert "state backend: local" in text and "Synthesized" not in text and " resources\n" not in text
    assert "GPU node groups:" in text and "at idle (min sizes)" in text


@pytest.mark.parametrize(
    "config,expected", [("default.yaml", "local"), ("existing-vpc.yaml", "s3"), ("capacity-block.yaml", "cloud")]
)
def test_backend_type(config, expected):
    assert report.backend_type(build_plan(load_config(CONFIG_DIR / config).config)) == expected


def _manifest(outdir, stacks):
    (outdir / "stacks").mkdir(parents=True, exist_ok=True)
    for name, deps in stacks.items():
        (outdir / "stacks" / name).mkdir(exist_ok=True)
        (outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_vpc": {"a": {}, "b": {}}}}))
    (outdir / "manifest.json").write_text(
        json.dumps(
            {
                "stacks": {
                    name: {"dependencies": deps, "synthesizedStackPath": f"stacks/{name}/cdk.tf.json"}
                    for name, deps in stacks.items()
                }
            }
        )
    )


def test_publish_lists_this_synths_stacks_in_order_and_removes_stale_folders(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    outdir = tmp_path / "out"
    _manifest(
        outdir,
        {
            "p5train-network": [],
            "p5train-cluster": ["p5train-network"],
            "p5train-platform": ["p5train-cluster"],
            "demo-network": [],
            "demo-cluster": ["demo-network"],
        },
    )
    _manifest(outdir, {"p5train-network": [], "p5train-cluster": ["p5train-network"], "p5train-platform": ["p5train-cluster"]})
    plan = build_plan(load_config(CONFIG_DIR / "p5-efa.yaml").config)
    report.publish(plan, str(outdir), "config/p5-efa.yaml")
    printed = capsys.readouterr().out
    assert printed == (outdir / "summary.txt").read_text()
    listed = [line.split()[0] for line in printed.split("\n\n")[0].splitlines()[1:]]
    assert listed == ["p5train-network", "p5train-cluster", "p5train-platform", "(removed"]
    assert "(removed stack folders left by an earlier synth of another config: demo-cluster, demo-network)" in printed
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == ["p5train-cluster", "p5train-network", "p5train-platform"]


def test_warnings_go_to_stderr_but_never_to_stderr_under_the_cdktf_cli(capsys, monkeypatch):
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    report.warn(["x.yaml: a: careful"])
    assert capsys.readouterr().err == "warning: x.yaml: a: careful\n"
    # Under the CLI (no terminal in a test): stdout, which the CLI shows without an [ERROR] prefix.
    monkeypatch.setenv("CDKTF_OUTDIR", "cdktf.out")
    monkeypatch.setattr("builtins.open", _no_tty(open))
    report.warn(["x.yaml: a: careful"])
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == "warning: x.yaml: a: careful\n"


def _no_tty(real_open):
    def fake(path, *args, **kwargs):
        if path == "/dev/tty":
            raise OSError("no terminal")
        return real_open(path, *args, **kwargs)

    return fake


def test_fsx_is_charged_by_the_hour_at_idle_and_at_full_scale():
    text = render("p5-training.yaml")
    # 4800 GiB at $0.34 per GB-month (PERSISTENT_2, 500 MB/s/TiB) over 730 hours
    (line,) = [l for l in text.splitlines() if "FSx Lustre" in l]
    assert line.split() == ["FSx", "Lustre", "4800", "GiB", "PERSISTENT_2/500", "1-1", "x", "$2.2356"]


def test_scratch_per_node_is_the_nvme_array_or_the_root_volume(tmp_path):
    line = next(l for l in render("p5-training.yaml").splitlines() if l.strip().startswith("h100"))
    assert "30,400 GB NVMe" in line
    no_nvme = tmp_path / "no-nvme.yaml"
    no_nvme.write_text((CONFIG_DIR / "default.yaml").read_text() + "storage:\n  local_nvme: none\n")
    line = next(
        l for l in report.render(build_plan(load_config(no_nvme).config), {}, "out").splitlines() if l.strip().startswith("a10g")
    )
    assert "200 GiB EBS" in line


def test_the_summary_shows_each_queue_with_its_quota_and_namespaces(tmp_path):
    teams = tmp_path / "teams.yaml"
    teams.write_text(
        (CONFIG_DIR / "default.yaml").read_text() + "queues:\n  teams:\n"
        "    - {name: research, namespaces: [research], quota: {a10g: 4}, can_borrow: false}\n"
    )
    text = report.render(build_plan(load_config(teams).config), {}, "out")
    assert "Queues (Kueue, cohort demo; jobs start all-or-nothing (ProvisioningRequest)):" in text
    (team,) = [l for l in text.splitlines() if l.strip().startswith("team-research")]
    assert "a10g 4 gpu, no borrowing" in team and "namespaces: research" in team
    (shared,) = [l for l in text.splitlines() if l.strip().startswith("a10g ") and "namespaces" in l]
    assert "a10g 4 gpu" in shared and "namespaces: default" in shared


def test_a_namespace_whose_group_the_teams_hold_whole_is_told_it_only_borrows(tmp_path):
    teams = tmp_path / "teams.yaml"
    teams.write_text(
        (CONFIG_DIR / "default.yaml").read_text() + "queues:\n  teams:\n"
        "    - {name: research, namespaces: [research], quota: {a10g: 8}}\n"
    )
    text = report.render(build_plan(load_config(teams).config), {}, "out")
    assert (
        "  a10g: the teams hold all of its quota, so jobs from default on it run only on quota borrowed from the teams, "
        "and are preempted when a team takes it back"
    ) in text
    assert "the teams hold all" not in render("default.yaml")


def test_an_s3_backend_reminds_that_its_bucket_must_exist():
    text = render("existing-vpc.yaml")
    assert (
        "# state: s3://example-terraform-state/gpu-eks/byovpc/; the bucket must already exist in eu-west-1 "
        "(terraform init does not create it)"
    ) in text
    assert "must already exist" not in render("default.yaml")


def test_the_summary_says_what_it_leaves_out():
    text = render("default.yaml")
    assert "Container Insights" in text and "checkpoint bucket costs S3 storage" in text


@pytest.mark.parametrize(
    "edit, warned",
    [
        ({}, False),
        # Without NAT the default becomes the same DLC from the region's private registry: still EFA-ready.
        ({"network.nat_gateways": "none"}, False),
        ({"training_operator.image": "ghcr.io/acme/trainer:1"}, True),
    ],
)
def test_only_a_users_own_image_gets_the_efa_libraries_reminder(config_variant, edit, warned):
    path = config_variant(base="p5-efa.yaml", edit=edit)
    assert ("carries libfabric" in render(path)) == warned
