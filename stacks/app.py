"""Builds the cdktf App for one configuration."""

from __future__ import annotations

from cdktf import App

from cluster_config import LoadedConfig

from .cluster_stack import ClusterStack
from .network_refs import CreatedNetwork, ExistingNetwork
from .network_stack import NetworkStack


def stack_names(name: str) -> dict[str, str]:
    return {"network": f"{name}-network", "cluster": f"{name}-cluster"}


def build_app(loaded: LoadedConfig, outdir: str | None = None) -> App:
    config = loaded.config
    app = App(outdir=outdir) if outdir else App()
    names = stack_names(config.name)
    if config.network.existing_vpc is None:
        network = CreatedNetwork(NetworkStack(app, names["network"], config=config).network)
    else:
        network = ExistingNetwork(config.network.existing_vpc)
    ClusterStack(app, names["cluster"], config=config, network=network)
    return app
