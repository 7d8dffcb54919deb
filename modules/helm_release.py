"""A Helm release from a ReleaseSpec."""

from __future__ import annotations

import yaml
from cdktf import AssetType, TerraformAsset
from constructs import Construct

from . import bindings
from .platform import ReleaseSpec


class HelmRelease(Construct):
    """Values go in as one YAML document (sorted, so synth output is stable).
    ``atomic`` rolls a failed install back instead of leaving a half-applied
    release in state; a local chart is copied into the stack as an asset so the
    synthesized stack is self-contained (Terraform Cloud uploads only that folder)."""

    def __init__(self, scope: Construct, id_: str, *, spec: ReleaseSpec, depends_on: list) -> None:
        super().__init__(scope, id_)
        chart = spec.chart
        if spec.repository is None:
            chart = TerraformAsset(self, "chart", path=spec.chart, type=AssetType.DIRECTORY).path
        self.release = bindings.HelmRelease(
            self, "this", name=spec.name, namespace=spec.namespace, chart=chart, repository=spec.repository,
            version=spec.version, values=[yaml.safe_dump(spec.values, sort_keys=True)],
            create_namespace=spec.create_namespace, atomic=True, wait=True, timeout=spec.timeout_seconds,
            depends_on=depends_on or None,
        )
