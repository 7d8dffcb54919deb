"""The layering rules, read from the source: configuration, then plan, then constructs, then stacks.

Each rule is checked on the syntax tree, so a violation is found without running anything.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import importlib
import inspect
from pathlib import Path

import pytest

from tests.conftest import ROOT

PRODUCTION = [
    p
    for p in sorted(ROOT.glob("*.py")) + sorted(ROOT.glob("[cmst]*/**/*.py"))
    if not p.is_relative_to(ROOT / "tests") and ".venv" not in p.parts
]
MODULE_SUPPORT = {"__init__", "bindings", "iam"}  # every other file in modules/ is one construct


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _type_checking_only(module: ast.Module) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks: imports for annotations, never run."""
    inside = set()
    for node in ast.walk(module):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            inside |= {id(n) for child in node.body for n in ast.walk(child)}
    return inside


def imported_modules(path: Path, *, at_runtime: bool = False) -> set[str]:
    """Every module ``path`` imports; ``at_runtime``: leaving out the TYPE_CHECKING imports."""
    found = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    module = tree(path)
    skipped = _type_checking_only(module) if at_runtime else set()
    for node in ast.walk(module):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def in_(folder: str) -> list[Path]:
    return [p for p in PRODUCTION if relative(p).startswith(folder)]


def test_the_rules_look_at_real_files():
    assert len(in_("modules/")) > 10 and len(in_("cluster_config/")) > 10 and len(in_("stacks/")) >= 5
    assert "cluster_config.context" in imported_modules(ROOT / "modules" / "control_plane.py")
    assert "cluster_config.plan.storage" not in imported_modules(
        ROOT / "cluster_config" / "components" / "contract.py", at_runtime=True
    )


def test_only_bindings_imports_provider_packages():
    offenders = [
        relative(p)
        for p in PRODUCTION
        if relative(p) not in ("modules/bindings.py", "tools/baseline_app.py")
        and any(m.startswith("cdktf_cdktf_provider") for m in imported_modules(p))
    ]
    assert offenders == []


def test_configuration_and_plan_import_no_cdktf():
    offenders = [
        relative(p)
        for p in in_("cluster_config/") + [ROOT / "report.py"]
        if any(m.split(".")[0] in ("cdktf", "constructs", "jsii", "modules", "stacks") for m in imported_modules(p))
    ]
    assert offenders == []


def test_nothing_below_the_app_reads_the_configuration():
    """Stacks, constructs and the report read the plan, never ClusterConfig."""
    below = in_("modules/") + in_("stacks/") + [ROOT / "report.py"]
    offenders = [
        relative(p)
        for p in below
        if any(m.startswith(("cluster_config.model", "cluster_config.load", "cluster_config.rules")) for m in imported_modules(p))
        or "ClusterConfig" in p.read_text()
    ]
    assert offenders == []


def test_components_read_the_configuration_only_through_the_plan_basis():
    """A component derives its settings from ``PlanBasis`` (the configuration and what the plan
    derived first); its release reads only settings and groups. Components never import the
    configuration's loader, its rules or the plan at run time: the model composes their
    fragments and the plan loops over them, so either import would be a cycle."""
    components = in_("cluster_config/components/")
    assert len(components) >= 18
    offenders = [
        relative(p)
        for p in components
        if any(
            m.startswith(("cluster_config.model", "cluster_config.load", "cluster_config.rules", "cluster_config.plan"))
            for m in imported_modules(p, at_runtime=True)
        )
        or ("ClusterConfig" in p.read_text() and p.name != "contract.py")
    ]
    assert offenders == []


def test_modules_holds_constructs_only():
    """Every file in modules/ but the support modules defines constructs and their props, nothing else."""
    import modules  # noqa: F401  (jsii environment)
    from constructs import Construct

    checked = 0
    for path in in_("modules/"):
        if path.stem in MODULE_SUPPORT:
            continue
        module = importlib.import_module(f"modules.{path.stem}")
        classes = {n: c for n, c in vars(module).items() if inspect.isclass(c) and c.__module__ == module.__name__}
        constructs = {n for n in classes if not n.endswith("Props") and not n.startswith("_")}
        assert constructs, f"{relative(path)} defines no construct"
        for name in constructs:
            construct, props = classes[name], classes.get(f"{name}Props")
            assert props is not None, f"{name} has no {name}Props"
            assert dataclasses.is_dataclass(props) and props.__dataclass_params__.frozen, name
            assert all(f.kw_only for f in dataclasses.fields(props)), name
            parameters = inspect.signature(construct.__init__).parameters
            assert list(parameters)[:3] == ["self", "scope", "id_"], name
            assert parameters["props"].kind is inspect.Parameter.KEYWORD_ONLY, name
            assert parameters["depends_on"].default == (), name
            # A construct is a node of its own; addresses stay stable through a "Default" child or a move.
            assert issubclass(construct, Construct), f"{name} is not a Construct"
            checked += 1
    assert checked >= 12


def test_every_construct_has_a_spec():
    """A construct is specified alone in tests/unit/constructs/test_<module>.py (cdktf Testing)."""
    constructs = {p.stem for p in in_("modules/")} - MODULE_SUPPORT
    specs = {p.stem.removeprefix("test_") for p in (ROOT / "tests" / "unit" / "constructs").glob("test_*.py")}
    assert len(constructs) >= 14
    assert constructs - specs == set()


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """String literals, docstrings and chart pins excluded: a ``Chart(...)`` states an upstream
    chart's name and versions as upstream spells them (cluster-autoscaler's chart shares its
    name with the service account names.py holds)."""
    module = tree(path)
    skipped = set()
    for node in ast.walk(module):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Chart":
            skipped |= {id(n) for n in ast.walk(node)}
    return [
        (n.lineno, n.value)
        for n in ast.walk(module)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skipped
    ]


def shared_names() -> list[str]:
    from cluster_config import names

    constants = {k: v for k, v in vars(names).items() if k.isupper()}
    values = [v for v in constants.values() if isinstance(v, str)]
    values += [k for v in constants.values() if isinstance(v, dict) for k in v]
    return values


def shared_prefixes() -> list[str]:
    """Names built by a function: their fixed part."""
    from cluster_config import names

    return [names.runtime_name(""), names.autoscaler_owner_tag("")]


# Both sides of every shared name: the AWS constructs and stacks, the plan, the release specs, the report.
BOTH_SIDES = [
    p
    for p in in_("modules/")
    + in_("stacks/")
    + in_("cluster_config/plan/")
    + in_("cluster_config/components/")
    + [ROOT / "report.py"]
]


def test_the_vocabulary_is_what_both_sides_share():
    assert {"nvidia.com/gpu", "vpc.amazonaws.com/efa", "gpu-eks/role", "kube-system"} <= set(shared_names())
    assert "torch-" in shared_prefixes()


def spells(text: str, name: str, *, prefix: bool = False) -> bool:
    """A structured name (a label key, a taint) is found inside longer strings as a
    whole token (nvidia.com/gpu in nvidia.com/gpu=true, not in nvidia.com/gpu.present);
    a plain word such as a claim name only as the whole string; a prefix at a token start."""
    if not any(c in name for c in "/.:=-"):
        return name == text
    end = "" if prefix else r"(?![\w.-])"
    return re.search(r"(?<![\w.-])" + re.escape(name) + end, text) is not None


@pytest.mark.parametrize("path", BOTH_SIDES, ids=relative)
def test_shared_names_are_spelled_only_in_names_py(path):
    spelled = [(line, text) for line, text in _string_constants(path) for name in shared_names() if spells(text, name)]
    spelled += [
        (line, text) for line, text in _string_constants(path) for name in shared_prefixes() if spells(text, name, prefix=True)
    ]
    assert spelled == [], f"use cluster_config.names instead of {spelled}"


def test_the_vocabulary_rule_finds_names_inside_strings():
    assert spells("nvidia.com/gpu=true:NoSchedule", "nvidia.com/gpu")
    assert not spells("nvidia.com/gpu.present", "nvidia.com/gpu")
    assert spells("torch-a10g", "torch-", prefix=True) and not spells("pytorch-a10g", "torch-", prefix=True)
    assert spells("checkpoints", "checkpoints") and not spells("training checkpoints", "checkpoints")
