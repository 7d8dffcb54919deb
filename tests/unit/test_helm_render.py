"""Every chart the stacks install, rendered with the real helm, and every object it renders checked.

For every example configuration and the variants in tests/render.py (VARIANTS): each helm_release
of the platform stack is rendered with exactly the values and set entries the stack passes, each
EKS add-on whose chart the reference holds with its configuration_values, and the local chart is
linted. Built-in kinds must pass kubernetes-validate, strict, at the cluster's version; custom
resources their CRD (the one the charts render, else the reference's), unknown fields rejected;
Kueue objects Kueue's webhook rules as well. The example TrainJobs each synth writes render with
kubectl kustomize, validate, and name a runtime the stack creates. At the end: where helm
(tools/helm_binary.py) and the charts (tools/upstream_charts.py) come from.
"""

from __future__ import annotations

import pytest
import yaml

import job_examples
from cluster_config import charts
from tests import render, upstream
from tests.conftest import EXAMPLE_CONFIGS, ROOT, plan_for
from tests.kueue_rules import kueue_webhook_errors, podset_topology_errors, trainjob_podsets
from tests.upstream import reference_crds, served_schema, validate_custom_resource

CONFIGS = [*EXAMPLE_CONFIGS, *render.VARIANTS]


@pytest.fixture(params=CONFIGS)
def config(request, synth, config_variant):
    """(label, synth, renders) of each configuration."""
    result, renders = render.rendered(request.param, synth, config_variant)
    return request.param, result, renders


def releases_of(result) -> dict[str, dict]:
    platform = [s for name, s in result.stacks.items() if name.endswith("-platform")]
    return {r["name"]: r for stack in platform for r in stack.get("resource", {}).get("helm_release", {}).values()}


def test_every_release_and_add_on_is_rendered_or_says_why_not(config):
    label, result, renders = config
    assert renders.errors == [], "\n\n".join(renders.errors)
    rendered = {str(r.source) for r in renders.renders}
    skipped = {n.source: n.reason for n in renders.not_rendered}
    for name, release in releases_of(result).items():
        assert f"release {name}" in rendered | set(skipped), name
    addons = {a["addon_name"] for a in result.resources("cluster", "aws_eks_addon").values()}
    for name in addons:
        assert f"add-on {name}" in rendered | set(skipped), name
    # Rendered wherever the chart is public and in the reference; the rest only for the reasons listed.
    assert {s for s in skipped if s.startswith("add-on ")} == {f"add-on {a}" for a in addons & set(render.NOT_RENDERED_ADDONS)}
    assert {s for s in skipped if s.startswith("release ")} <= {f"release {c}" for c in render.NOT_RENDERED_CHARTS}
    assert all(reason for reason in skipped.values())


def test_the_renders_are_the_charts_at_the_pins(config):
    """Each repository chart is the reference copy of the version the release pins, and helm
    ran at the cluster's Kubernetes version."""
    label, result, renders = config
    for r in renders.renders:
        assert r.given.kube_version == next(iter(result.resources("cluster", "aws_eks_cluster").values()))["version"]
        chart = yaml.safe_load((r.given.chart_dir / "Chart.yaml").read_text())
        if r.source.local:
            assert chart["name"] == "gpu-eks-manifests" and "assets" in r.given.chart_dir.parts
        else:
            assert (chart["name"], str(chart["version"])) == (r.source.chart, str(r.source.version)), r.source


def test_the_neuron_release_is_left_unrendered_for_want_of_its_chart(synth):
    renders = render.render_config(synth("trainium.yaml"), "trainium.yaml")
    (neuron,) = [n for n in renders.not_rendered if n.source == f"release {charts.NEURON.name}"]
    assert "not in the reference charts" in neuron.reason and charts.NEURON.version in neuron.reason


def test_everything_off_renders_no_release_and_lists_the_base_add_ons(synth, config_variant):
    result, renders = render.rendered("variant-everything-off", synth, config_variant)
    assert not any(name.endswith("-platform") for name in result.stacks)
    assert renders.renders == []
    assert sorted(n.source for n in renders.not_rendered) == [
        "add-on coredns",
        "add-on eks-pod-identity-agent",
        "add-on kube-proxy",
        "add-on vpc-cni",
    ]


def test_every_built_in_object_is_valid_at_the_clusters_version(config):
    label, result, renders = config
    index = render.crd_index(reference_crds())
    problems = []
    for source, obj in renders.objects():
        if (render.group_of(obj), obj["kind"]) in index:
            continue
        for error in render.builtin_errors(obj, renders.kube_version):
            problems.append(f"{source}: {obj['kind']} {obj['metadata'].get('name')}: {error}")
    assert problems == [], "\n".join(problems)


def test_every_crd_the_charts_render_is_a_valid_crd(config):
    label, result, renders = config
    names = {name for r in renders.renders for name in r.crds}
    problems = [f"{name}: {e}" for name in sorted(names) for e in render.builtin_errors(render.CRDS[name], renders.kube_version)]
    assert problems == [], "\n".join(problems)


def test_every_custom_resource_is_valid_against_its_crd(config):
    label, result, renders = config
    index = render.crd_index(reference_crds())
    problems, checked = [], 0
    for source, obj in renders.objects():
        crd = index.get((render.group_of(obj), obj["kind"]))
        if crd is None:
            continue
        schema = served_schema(crd, obj["apiVersion"].split("/")[1])
        if schema is None:
            problems.append(f"{source}: {obj['kind']} {obj['apiVersion']}: the CRD serves no such version")
            continue
        checked += 1
        problems += [f"{source}: {obj['kind']} {obj['metadata']['name']}: {e}" for e in validate_custom_resource(obj, schema)]
    assert problems == [], "\n".join(problems)
    kinds = {obj["kind"] for _, obj in renders.objects()}
    if "ClusterTrainingRuntime" in kinds or "AmazonCloudWatchAgent" in kinds:
        assert checked, "custom resources were rendered, so some must have been checked"


# The configurations that switch the queues off; every other one renders Kueue's queues and flavors.
WITHOUT_QUEUES = {"variant-everything-off"}


def test_kueue_objects_pass_kueues_webhook_rules(config):
    label, result, renders = config
    # Every Kueue object: the rules judge the four kinds, and look up what they name (admission checks).
    objects = [obj for _, obj in renders.objects() if render.group_of(obj) == "kueue.x-k8s.io"]
    judged = [obj for obj in objects if obj["kind"] in render.KUEUE_WEBHOOK_KINDS]
    if label in WITHOUT_QUEUES:
        assert "queues" not in releases_of(result) and objects == [], f"{label} switches the queues off"
        return
    assert "queues" in releases_of(result) and judged, f"{label} renders no Kueue queues or flavors"
    errors = kueue_webhook_errors(objects)
    assert errors == [], "\n".join(errors)


def test_the_local_chart_lints_clean_on_its_own():
    """Each local release is linted with its values while it renders; here the chart itself."""
    given = render.HelmInput(
        release="lint", namespace="kube-system", chart_dir=ROOT / "charts" / "manifests", kube_version="1.34", values=()
    )
    render.lint(given)


def test_a_broken_local_template_fails_the_render(tmp_path):
    chart = tmp_path / "manifests"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text((ROOT / "charts" / "manifests" / "Chart.yaml").read_text())
    (chart / "templates" / "manifests.yaml").write_text("{{- range .Values.manifests }}\n{{ toYaml . | nindent }}\n{{- end }}\n")
    given = render.HelmInput(
        release="broken",
        namespace="kube-system",
        chart_dir=chart,
        kube_version="1.34",
        values=(yaml.safe_dump({"manifests": [{"kind": "ConfigMap"}]}),),
    )
    with pytest.raises(render.RenderError, match="helm template broken"):
        render.template(given)


# Charts whose values the stacks set, and the configuration that sets the most of them.
VALUES_CHECKED = [
    ("variant-all-kinds", "release kubeflow-trainer"),
    ("variant-all-kinds", "release nvidia-device-plugin"),
    ("variant-all-kinds", "release aws-efa-k8s-device-plugin"),
    ("variant-all-kinds", "release cluster-autoscaler"),
    ("variant-all-kinds", "release kueue"),
    ("variant-all-kinds", "add-on eks-node-monitoring-agent"),
    ("variant-all-kinds", "add-on amazon-cloudwatch-observability"),
]
# Add-ons installed with the chart's defaults: no values of ours to check (a configuration given
# to one of them moves it to VALUES_CHECKED).
WITHOUT_CONFIGURATION = ["add-on aws-mountpoint-s3-csi-driver", "add-on aws-fsx-csi-driver"]


def addon_configuration(result, source: str):
    (configuration,) = [
        a.get("configuration_values")
        for a in result.resources("cluster", "aws_eks_addon").values()
        if f"add-on {a['addon_name']}" == source
    ]
    return configuration


@pytest.mark.parametrize("label,source", VALUES_CHECKED, ids=[s for _, s in VALUES_CHECKED])
def test_every_values_key_we_set_changes_the_render(label, source, synth, config_variant):
    """A key the chart never reads is a setting that silently does nothing (a misspelling, a key
    that moved in a new chart version). Each one is set to another value of its kind in turn;
    the render must change."""
    result, renders = render.rendered(label, synth, config_variant)
    (r,) = [r for r in renders.renders if str(r.source) == source]
    if r.source.kind == "eks_addon":
        assert addon_configuration(result, source), f"{source} has no configuration_values: list it in WITHOUT_CONFIGURATION"
    assert render.ignored_keys(r.given) == []


@pytest.mark.parametrize("source", WITHOUT_CONFIGURATION)
def test_the_add_ons_without_values_of_ours_are_rendered_with_the_charts_defaults(source, synth, config_variant):
    result, renders = render.rendered("variant-all-kinds", synth, config_variant)
    assert addon_configuration(result, source) is None
    assert source in {str(r.source) for r in renders.renders}


def test_a_values_key_the_chart_ignores_is_found(synth, config_variant):
    result, renders = render.rendered("variant-all-kinds", synth, config_variant)
    (r,) = [r for r in renders.renders if str(r.source) == "release aws-efa-k8s-device-plugin"]
    values = yaml.safe_load(r.given.values[0])
    values["nodeSelecter"] = {"misspelled": "true"}
    values["image"]["tagg"] = "v0.5.20"
    given = render.HelmInput(**{**r.given.__dict__, "values": (yaml.safe_dump(values),)})
    assert render.ignored_keys(given) == ["image.tagg", "nodeSelecter.misspelled"]


@pytest.mark.parametrize("label", CONFIGS)
def test_every_generated_example_renders_validates_and_names_a_runtime_the_stack_creates(label, synth, config_variant):
    result, renders = render.rendered(label, synth, config_variant)
    written = job_examples.write(plan_for(render.config_file(label, config_variant)), str(result.outdir))
    rendered = [obj for _, obj in renders.objects()]
    checked = 0
    for group, examples in written.items():
        for example, directory in examples.items():
            checked += _check_example(directory, rendered, renders.kube_version)
    assert checked == sum(len(e) for e in written.values())


def test_the_checked_in_examples_render_validate_and_name_a_default_runtime(synth):
    renders = render.render_config(synth("default.yaml"), "default.yaml")
    directories = sorted(
        p.parent for p in (ROOT / "examples").glob("*/kustomization.yaml") if (p.parent / "trainjob.yaml").is_file()
    )
    assert directories
    for directory in directories:
        _check_example(directory, [obj for _, obj in renders.objects()], renders.kube_version)


def _check_example(directory, rendered: list[dict], kube_version: str) -> int:
    """Valid, on a runtime the stack creates, and asking its group's flavor only for what
    Kueue can give: the podsets Trainer makes of the job and its runtime, judged on the
    flavor whose node labels the runtime's pods select."""
    objects = render.kustomize(directory)
    (job,) = [o for o in objects if o["kind"] == "TrainJob"]
    assert validate_custom_resource(job) == [], directory
    runtimes = {o["metadata"]["name"]: o for o in rendered if o["kind"] == "ClusterTrainingRuntime"}
    runtime = runtimes.get(job["spec"]["runtimeRef"]["name"])
    assert runtime is not None, (directory, sorted(runtimes))
    podsets, problems = trainjob_podsets(job, runtime)
    assert problems == [], (directory, problems)
    selector = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["nodeSelector"]
    flavors = [o for o in rendered if o["kind"] == "ResourceFlavor" and o["spec"]["nodeLabels"].items() <= selector.items()]
    for flavor in flavors:
        errors = podset_topology_errors(podsets, flavor, [o for o in rendered if o["kind"] == "Topology"])
        assert errors == [], (directory, errors)
    for obj in objects:
        if obj["kind"] != "TrainJob":
            assert render.builtin_errors(obj, kube_version) == (), (directory, obj["kind"])
    return 1


# --- Where helm comes from (tools/helm_binary.py). ---


def _fake_tool(directory, name, version_line):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("on_path,expected", [("v3.17.2", "path"), ("v3.19.0", "path"), ("v3.16.4", "venv"), ("v4.0.1", "venv")])
def test_helm_on_path_is_used_from_3_17_and_only_helm_3(tmp_path, monkeypatch, on_path, expected):
    from tools import helm_binary

    path_helm = _fake_tool(tmp_path / "path", "helm", on_path)
    venv_helm = _fake_tool(tmp_path / "venv" / "bin", "helm", "v3.17.2")
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    monkeypatch.setattr(helm_binary, "venv_bin", lambda: tmp_path / "venv" / "bin")
    monkeypatch.setattr(helm_binary, "ROOT", tmp_path / "no-checkout")
    assert helm_binary.find("helm") == (path_helm if expected == "path" else venv_helm)


def _fake_wheel(path, binaries: dict[str, bytes]):
    import io
    import tarfile
    import zipfile

    from tools import helm_binary

    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as archive:
        for inner, data in binaries.items():
            archive.writestr(inner, data)
    jsii = io.BytesIO()
    with tarfile.open(fileobj=jsii, mode="w:gz") as tar:
        info = tarfile.TarInfo(helm_binary.LAYER)
        info.size = len(layer.getvalue())
        tar.addfile(info, io.BytesIO(layer.getvalue()))
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(helm_binary.JSII_TARBALL, jsii.getvalue())
    return path


def test_the_wheel_and_each_binary_must_have_their_pinned_sha256(tmp_path, monkeypatch):
    import hashlib

    from tools import helm_binary

    helm = b"#!/bin/sh\necho v3.17.2\n"
    wheel = _fake_wheel(tmp_path / "layer.whl", {"helm/helm": helm, "kubectl/kubectl": b"kubectl"})
    with pytest.raises(helm_binary.HelmBinaryError, match="layer.whl: sha256 .*, expected dd44f222"):
        helm_binary.extract(wheel, tmp_path / "bin")
    monkeypatch.setattr(helm_binary, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    with pytest.raises(helm_binary.HelmBinaryError, match="helm/helm: sha256"):
        helm_binary.extract(wheel, tmp_path / "bin", tools=("helm",))
    monkeypatch.setitem(helm_binary.BINARIES, "helm", ("helm/helm", hashlib.sha256(helm).hexdigest()))
    written = helm_binary.extract(wheel, tmp_path / "bin", tools=("helm",))
    assert written["helm"].read_bytes() == helm and written["helm"].stat().st_mode & 0o111
    assert helm_binary.helm_version(written["helm"]) == (3, 17, 2)


def test_the_helm_the_tests_render_with_is_a_real_helm_3_17_or_later():
    from tools import helm_binary

    version = helm_binary.helm_version(render.helm())
    assert version and version[0] == 3 and version >= (3, 17, 0)


# --- Where the charts come from (tools/upstream_charts.py). ---


def test_upstream_reference_wins_then_the_sibling_folder_then_the_cache(tmp_path, monkeypatch):
    from tools import upstream_charts

    named, sibling, cache = tmp_path / "named", tmp_path / "sibling", tmp_path / "cache"
    for directory in (named, sibling):
        directory.mkdir()
        (directory / "index.json").write_text("{}")
    monkeypatch.setattr(upstream_charts, "SIBLING_REFERENCE", sibling)
    monkeypatch.setenv("GPU_EKS_CHART_CACHE", str(cache))
    monkeypatch.setenv("UPSTREAM_REFERENCE", str(named))
    assert upstream_charts.upstream_dir(fetch_missing=False) == (named, f"UPSTREAM_REFERENCE={named}")
    monkeypatch.delenv("UPSTREAM_REFERENCE")
    assert upstream_charts.upstream_dir(fetch_missing=False)[0] == sibling
    (sibling / "index.json").unlink()
    found, how = upstream_charts.upstream_dir(fetch_missing=False)
    assert found is None and "does not exist" in how and str(cache) in how
    filled = upstream_charts.cache_dir()
    filled.mkdir(parents=True)
    (filled / "index.json").write_text("{}")
    assert upstream_charts.upstream_dir(fetch_missing=False) == (filled, f"the chart cache {filled}")


def test_without_a_reference_or_charts_the_tests_skip_and_fail_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no upstream charts: nothing here"):
        upstream.unavailable("no upstream charts: nothing here")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so this is a failure, not a skip"):
        upstream.unavailable("no upstream charts: nothing here")


def test_every_chart_version_the_project_can_install_has_a_pinned_digest():
    from tools import upstream_charts

    pinned = {(p.name, p.version) for p in upstream_charts.CHART_PINS}
    wanted = {
        (c.name, c.version)
        for c in (
            charts.KUBEFLOW_TRAINER,
            charts.NVIDIA_DEVICE_PLUGIN,
            charts.EFA_DEVICE_PLUGIN,
            charts.CLUSTER_AUTOSCALER,
            charts.KUEUE,
        )
    }
    wanted |= {(charts.CLUSTER_AUTOSCALER.name, chart) for chart, _, _ in charts.CLUSTER_AUTOSCALER_BY_MINOR.values()}
    wanted |= {(a.chart, a.version) for a in render.ADDONS.values()}
    assert wanted <= pinned, sorted(wanted - pinned)
    for pin in upstream_charts.CHART_PINS:
        oci = pin.repository.startswith("oci://")
        assert pin.digest is None or (pin.digest.startswith("sha256:") if oci else len(pin.digest) == 64), pin
        assert pin.digest is not None or pin.name == "kubeflow-trainer", f"{pin.name}: only Trainer's digest is unpublished"


def test_the_pinned_crd_hashes_are_the_reference_files():
    """The reference holds the upstream files unchanged, so a pin that disagrees with it is wrong."""
    import hashlib

    from tools import upstream_charts

    directory = upstream.require_reference()
    for pin in upstream_charts.FILE_PINS:
        assert hashlib.sha256((directory / pin.path).read_bytes()).hexdigest() == pin.sha256, pin.path
    assert {p.path for p in upstream_charts.FILE_PINS if "/crds/" in p.path} >= set(
        __import__("json").loads((directory / "index.json").read_text())["crds"]
    )


def _tiny_chart(root):
    chart = root / "tiny"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("greeting: hello\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tiny}\ndata: {greeting: {{ .Values.greeting }}}\n"
    )
    return chart


def test_fetch_pulls_from_a_chart_repository_checks_digests_and_writes_index_last(tmp_path):
    """helm pull against a real HTTP chart repository (a local one: there is no internet here)."""
    import functools
    import hashlib
    import http.server
    import subprocess
    import threading

    from tools import upstream_charts

    helm = render.helm()
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run([str(helm), "package", str(_tiny_chart(tmp_path)), "-d", str(served)], check=True, capture_output=True)
    (served / "crd.yaml").write_text("kind: CustomResourceDefinition\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        subprocess.run([str(helm), "repo", "index", str(served), "--url", url], check=True, capture_output=True)
        digest = hashlib.sha256((served / "tiny-0.1.0.tgz").read_bytes()).hexdigest()
        crd = upstream_charts.FilePin(
            path="tiny/crds/crd.yaml",
            url=f"{url}/crd.yaml",
            sha256=hashlib.sha256(b"kind: CustomResourceDefinition\n").hexdigest(),
        )
        good = upstream_charts.ChartPin(name="tiny", version="0.1.0", repository=url, digest=digest, source="test")
        dest = tmp_path / "cache" / "upstream-x"
        fetched = upstream_charts.fetch(
            dest,
            helm=helm,
            chart_pins=(good,),
            file_pins=(crd,),
            summary_folders={"tiny": ("tiny-0.1.0", None)},
            log=lambda line: None,
        )
        assert (fetched / "charts" / "tiny-0.1.0" / "templates" / "cm.yaml").is_file()
        assert (fetched / "tiny" / "values.yaml").read_text() == "greeting: hello\n"
        assert (fetched / "tiny" / "crds" / "crd.yaml").is_file() and (fetched / "index.json").is_file()

        wrong = upstream_charts.ChartPin(name="tiny", version="0.1.0", repository=url, digest="0" * 64, source="test")
        with pytest.raises(upstream_charts.FetchError, match=f"tiny-0.1.0: sha256 {digest}, expected 0000"):
            upstream_charts.fetch(dest, helm=helm, chart_pins=(wrong,), file_pins=(), summary_folders={}, log=lambda line: None)
        assert not (dest / "index.json").exists(), "a failed fetch must not leave a cache that looks complete"
        bad_file = upstream_charts.FilePin(path="tiny/crds/crd.yaml", url=f"{url}/crd.yaml", sha256="1" * 64)
        with pytest.raises(upstream_charts.FetchError, match="crd.yaml: sha256 .*, expected 1111"):
            upstream_charts.fetch(
                dest, helm=helm, chart_pins=(good,), file_pins=(bad_file,), summary_folders={}, log=lambda line: None
            )
    finally:
        server.shutdown()
        server.server_close()


def test_an_oci_chart_without_a_published_digest_is_trusted_once_then_held_to_it(tmp_path):
    """helm pull of an OCI chart, with a stand-in helm (no OCI registry can run here) that
    writes a chart package and prints the manifest digest as helm does."""
    import subprocess

    from tools import upstream_charts

    subprocess.run(
        [str(render.helm()), "package", str(_tiny_chart(tmp_path)), "-d", str(tmp_path)], check=True, capture_output=True
    )
    digest_file = tmp_path / "digest"
    fake = tmp_path / "helm"
    fake.write_text(
        "#!/bin/sh\n"
        "while [ \"$1\" != \"-d\" ]; do shift; done\n"
        f"cp {tmp_path / 'tiny-0.1.0.tgz'} \"$2\"/\n"
        f"echo \"Pulled: registry.example/charts/tiny:0.1.0\"; echo \"Digest: $(cat {digest_file})\"\n"
    )
    fake.chmod(0o755)
    pin = upstream_charts.ChartPin(
        name="tiny", version="0.1.0", repository="oci://registry.example/charts", digest=None, source="none published"
    )
    dest = tmp_path / "cache" / "upstream-y"
    lines = []

    def fetch():
        return upstream_charts.fetch(dest, helm=fake, chart_pins=(pin,), file_pins=(), summary_folders={}, log=lines.append)

    digest_file.write_text("sha256:" + "a" * 64)
    fetch()
    assert "trusted on first use" in lines[0]
    assert (dest.parent / "trusted-digests.json").read_text().count("a" * 64) == 1
    fetch()  # the same digest again: fine
    digest_file.write_text("sha256:" + "b" * 64)
    with pytest.raises(
        upstream_charts.FetchError, match="manifest digest sha256:b+, expected sha256:a+ \\(recorded on first use\\)"
    ):
        fetch()


def test_the_autoscaler_deployment_runs_the_newest_image_of_the_clusters_minor(synth, config_variant):
    """image.tag is the key the pinned chart reads (templates/deployment.yaml): the rendered
    Deployment runs the 1.35 patch, not the chart's own v1.35.0."""
    result, renders = render.rendered("variant-all-kinds", synth, config_variant)
    (r,) = [r for r in renders.renders if str(r.source) == "release cluster-autoscaler"]
    (deployment,) = [o for o in r.objects if o["kind"] == "Deployment"]
    assert [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]] == [
        "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2"
    ]
