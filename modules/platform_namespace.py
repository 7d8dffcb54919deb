"""A namespace for platform components, made with the kubernetes provider."""

from __future__ import annotations

from constructs import Construct

from . import bindings


class PlatformNamespace(Construct):
    def __init__(self, scope: Construct, id_: str, *, name: str) -> None:
        super().__init__(scope, id_)
        self.namespace = bindings.NamespaceV1(self, "this", metadata=bindings.NamespaceV1Metadata(
            name=name, labels={"app.kubernetes.io/managed-by": "gpu-eks"},
        ))
