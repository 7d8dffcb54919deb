"""The Makefile as a newcomer meets it: every target explained, installs that do not repeat."""

from __future__ import annotations

import re

from tests.conftest import ROOT

MAKEFILE = (ROOT / "Makefile").read_text()


def phony_targets() -> set[str]:
    (line,) = re.findall(r"^\.PHONY:(.*)$", MAKEFILE, re.M)
    return set(line.split())


def test_every_target_has_exactly_one_help_line():
    documented = re.findall(r"^## ([a-z-]+): \S", MAKEFILE, re.M)
    assert sorted(documented) == sorted(set(documented)), "a target is documented twice"
    assert set(documented) == phony_targets()
    for target in phony_targets():
        assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.M), f"{target} has no rule"


def test_help_is_the_default_goal():
    assert re.search(r"^\.DEFAULT_GOAL := help$", MAKEFILE, re.M)


def test_the_cli_marker_is_the_lockfile_npm_ci_writes_itself():
    # A hand-run `npm ci` deletes node_modules/ and rewrites node_modules/.package-lock.json,
    # so a marker of our own inside node_modules/ would vanish and force a second install.
    assert re.search(r"^install-cli: node_modules/\.package-lock\.json$", MAKEFILE, re.M)
    assert "node_modules/.installed" not in MAKEFILE


def test_the_version_check_is_off_wherever_make_runs_cdktf_or_terraform():
    assert re.search(r"^export CHECKPOINT_DISABLE := 1$", MAKEFILE, re.M)


def test_torch_is_installed_on_its_own_from_the_cpu_index_when_it_answers():
    assert "torch" not in re.sub(r"#.*", "", (ROOT / "requirements-dev.txt").read_text())
    pins = [l for l in (ROOT / "requirements-torch.txt").read_text().splitlines() if l and not l.startswith("#")]
    # numpy and the S3 connector for DCP checkpoints (with its client and tenacity) ride along
    # from PyPI (the CPU index is only an extra index); nothing else may.
    assert pins == [
        "torch==2.13.0",
        "numpy==2.4.6",
        "s3torchconnector[dcp]==1.5.0",
        "s3torchconnectorclient==1.5.0",
        "tenacity==9.2.1",
    ]
    assert "TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu" in MAKEFILE
    assert '--extra-index-url "$(TORCH_CPU_INDEX)" -r requirements-torch.txt' in MAKEFILE


def test_deploy_plan_destroy_pass_the_config_and_auto_approve():
    for verb in ("plan", "deploy", "destroy"):
        assert re.search(rf"-m tools\.cluster {verb} \$\(if \$\(CONFIG\),--config \$\(CONFIG\)\)", MAKEFILE), verb
    for verb in ("deploy", "destroy"):
        assert re.search(rf"-m tools\.cluster {verb} .*\$\(if \$\(filter 1,\$\(AUTO_APPROVE\)\),--yes\)", MAKEFILE), verb


def test_example_cpu_runs_the_training_script_on_two_processes():
    assert (
        "OMP_NUM_THREADS=1 CUDA_VISIBLE_DEVICES= $(VENV)/bin/torchrun --standalone --nproc-per-node 2 "
        "examples/code/train.py --steps 50"
    ) in MAKEFILE


def test_lint_runs_the_linter_and_the_type_checker_and_both_test_targets_run_lint():
    recipe = re.search(r"^lint: (.*)\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert recipe.group(1) == "$(VENV)/.dev-installed"
    assert {"\t$(PY) -m ruff check .", "\t$(PY) -m mypy"} <= set(recipe.group(2).splitlines())
    for target in ("test", "test-unit"):
        assert re.search(rf"^{target}: .*\blint$", MAKEFILE, re.M), target
    pins = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert {"ruff==0.17.6", "mypy==2.4.1", "types-PyYAML==6.0.12.20261122"} <= set(pins)


def test_the_tools_run_as_modules_so_none_patches_sys_path():
    assert not re.search(r"\$\(PY\) tools/", MAKEFILE)
    for tool in (ROOT / "tools").glob("*.py"):
        assert "sys.path.insert" not in tool.read_text(), tool.name
