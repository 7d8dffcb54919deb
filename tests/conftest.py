"""Shared fixtures. Each configuration is synthesized once per session and reused."""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path
from typing import Callable, Mapping, Union

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
EXAMPLE_CONFIGS = sorted(p.name for p in CONFIG_DIR.glob("*.yaml"))

# The date every in-process test judges EKS support by: the literal prices and warnings below
# are those of this day, so the suite does not change its verdicts when a minor's standard
# support ends. tests/unit/test_versions.py walks the boundaries with dates of its own.
SUITE_TODAY = "2026-12-02"


@pytest.fixture(autouse=True, scope="session")
def _suite_today():
    import datetime

    from cluster_config import versions

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(versions, "today", lambda: datetime.date.fromisoformat(SUITE_TODAY))
        yield


def unavailable(reason: str):
    """A tool or module a test needs is missing: a skip on a workstation, a failure with CI=true, where a
    skipped test would pass a job that tested nothing. The one way the suite may skip for want of a tool
    (tests/unit/test_no_silent_skips.py)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, so this is a failure, not a skip: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


# ---------------------------------------------------------------------------
# Configuration variants: one example file with a few keys changed.
# ---------------------------------------------------------------------------


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()  # as an override value: remove the key, so the model's default applies

Edit = Union[Callable[[dict], object], Mapping[str, object], None]


def _step(key: str, container):
    return int(key) if isinstance(container, list) else key


def config_data(base: str = "default.yaml", edit: Edit = None) -> dict:
    """The parsed YAML of ``config/<base>`` with ``edit`` applied.

    ``edit`` is either a function that changes the data in place, or overrides by
    dotted path: ``{"gpu_node_groups.0.max_size": 1, "cluster.service_ipv4_cidr": DELETE}``.
    Missing mappings on the way are created, so ``platform.cluster_autoscaler.version``
    works on a file that has no ``platform`` key.
    """
    data = yaml.safe_load((CONFIG_DIR / base).read_text())
    if callable(edit):
        edit(data)
    elif edit:
        for dotted, value in edit.items():
            *parents, last = dotted.split(".")
            target = data
            for key in parents:
                step = _step(key, target)
                target = target[step] if isinstance(target, list) else target.setdefault(step, {})
            step = _step(last, target)
            if value is DELETE:
                del target[step]
            else:
                target[step] = value
    return data


@pytest.fixture(scope="session")
def config_variant(tmp_path_factory):
    """``config_variant(base="default.yaml", edit=..., name=...) -> Path`` of a new YAML file.

    Session-scoped so module-scoped fixtures can use it; every call writes a file of its own.
    """
    directory = tmp_path_factory.mktemp("config-variants")
    counter = itertools.count()

    def make(base: str = "default.yaml", edit: Edit = None, *, name: str | None = None) -> Path:
        path = directory / f"{next(counter)}-{name or Path(base).stem}.yaml"
        path.write_text(yaml.safe_dump(config_data(base, edit), sort_keys=False))
        return path

    return make


# ---------------------------------------------------------------------------
# Whole-app synths.
# ---------------------------------------------------------------------------


class Synth:
    """The synthesized output of one configuration: stack name -> parsed cdk.tf.json."""

    def __init__(self, outdir: Path, stacks: dict[str, dict]):
        self.outdir = outdir
        self.stacks = stacks

    def stack(self, suffix: str) -> dict:
        matches = [s for name, s in self.stacks.items() if name.endswith(f"-{suffix}")]
        assert len(matches) == 1, f"expected one *-{suffix} stack, have {sorted(self.stacks)}"
        return matches[0]

    def resources(self, suffix: str, kind: str) -> dict[str, dict]:
        return self.stack(suffix).get("resource", {}).get(kind, {})


_CACHE: dict[str, Synth] = {}


def synth_config(config_file: str | Path, tmp_root: Path) -> Synth:
    """``config_file``: a name in config/, or a path to a file a test wrote."""
    config_file = str(config_file)
    if config_file not in _CACHE:
        import modules  # noqa: F401  (jsii environment before cdktf)
        from cluster_config import load_config
        from cluster_config.plan import build_plan
        from stacks.app import build_app

        outdir = tmp_root / f"{len(_CACHE)}-{Path(config_file).stem}"
        build_app(build_plan(load_config(CONFIG_DIR / config_file).config), outdir=str(outdir)).synth()
        stacks = {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in sorted((outdir / "stacks").iterdir())}
        _CACHE[config_file] = Synth(outdir, stacks)
    return _CACHE[config_file]


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    return lambda config_file: synth_config(config_file, root)


def plan_for(config_file: str | Path):
    """The ClusterPlan of a file in config/ (or of a path a test wrote), as main.py builds it."""
    from cluster_config import load_config
    from cluster_config.plan import build_plan

    return build_plan(load_config(CONFIG_DIR / config_file).config)


# ---------------------------------------------------------------------------
# The placement table (tests/unit/test_placement.py fills it).
# ---------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter):
    placement = sys.modules.get("tests.placement")
    if placement is None or not placement.TABLES:
        return
    terminalreporter.section("where each rendered workload can run (tests/placement.py; yes, -, or the types it fits)")
    # Nodes are as a job meets them: a gated group's nodes have passed the health gate, so its check
    # DaemonSet shows "-"; tests/unit/test_node_health_check.py places it on pending and failed nodes.
    terminalreporter.write_line("health-gated nodes shown as passed; health-check-* on pending ones: test_node_health_check.py")
    for lines in placement.TABLES.values():
        for line in lines:
            terminalreporter.write_line(line)
