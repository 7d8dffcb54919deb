"""Shared fixtures. Each configuration is synthesized once per session and reused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
EXAMPLE_CONFIGS = sorted(p.name for p in CONFIG_DIR.glob("*.yaml"))
sys.path.insert(0, str(ROOT))


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
        stacks = {
            d.name: json.loads((d / "cdk.tf.json").read_text()) for d in sorted((outdir / "stacks").iterdir())
        }
        _CACHE[config_file] = Synth(outdir, stacks)
    return _CACHE[config_file]


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    return lambda config_file: synth_config(config_file, root)


@pytest.fixture
def config_variant(tmp_path):
    """Writes a copy of an example config with ``edit`` applied to its parsed data; returns the path."""
    import yaml

    counter = iter(range(1000))

    def make(base: str = "default.yaml", edit=None, name: str | None = None) -> Path:
        data = yaml.safe_load((CONFIG_DIR / base).read_text())
        if callable(edit):
            edit(data)
        elif edit:
            data.update(edit)
        path = tmp_path / (name or f"variant-{next(counter)}.yaml")
        path.write_text(yaml.safe_dump(data))
        return path

    return make
