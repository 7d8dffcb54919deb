"""A namespace for platform components, made with the kubernetes provider."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings


@dataclass(frozen=True, kw_only=True)
class PlatformNamespaceProps:
    name: str


class PlatformNamespace(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: PlatformNamespaceProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.namespace = bindings.NamespaceV1(
            self,
            "this",
            metadata=bindings.NamespaceV1Metadata(
                name=props.name,
                labels={"app.kubernetes.io/managed-by": "gpu-eks"},
            ),
            depends_on=list(depends_on) or None,
        )
