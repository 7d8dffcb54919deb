"""A Helm release from a ReleaseSpec."""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from cdktf import AssetType, TerraformAsset
from constructs import Construct

from cluster_config.components.release_spec import ReleaseSpec
from cluster_config.inputs import PlatformInputs, helm_key

from . import bindings


class _PlainDumper(yaml.SafeDumper):
    """Writes a value used twice (a shared nodeSelector) out twice instead of as a
    YAML anchor and alias, so the values read the same in a plan diff as in the spec."""

    def ignore_aliases(self, data) -> bool:
        return True


@dataclass(frozen=True, kw_only=True)
class HelmReleaseProps:
    spec: ReleaseSpec
    inputs: PlatformInputs = PlatformInputs()  # the cluster stack's values; those of spec.inputs are set


class HelmRelease(Construct):
    """Values go in as one YAML document (sorted, so synth output is stable).
    ``atomic`` rolls a failed install back instead of leaving a half-applied
    release in state; a local chart is copied into the stack as an asset so the
    synthesized stack is self-contained (Terraform Cloud uploads only that folder)."""

    def __init__(self, scope: Construct, id_: str, *, props: HelmReleaseProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        spec = props.spec
        missing = [name for name in spec.inputs if getattr(props.inputs, name) is None]
        if missing:
            raise ValueError(f"release {spec.name} reads {', '.join(missing)} from the cluster stack, which made none")
        chart = spec.chart
        if spec.repository is None:
            chart = TerraformAsset(self, "chart", path=spec.chart, type=AssetType.DIRECTORY).path
        self.release = bindings.HelmRelease(
            self,
            "this",
            name=spec.name,
            namespace=spec.namespace,
            chart=chart,
            repository=spec.repository,
            version=spec.version,
            values=[yaml.dump(spec.values, Dumper=_PlainDumper, sort_keys=True)],
            set=[
                bindings.HelmReleaseSet(name=helm_key(name), value=getattr(props.inputs, name), type="string")
                for name in spec.inputs
            ]
            or None,
            create_namespace=spec.create_namespace,
            atomic=True,
            wait=True,
            timeout=spec.timeout_seconds,
            depends_on=list(depends_on) or None,
        )
