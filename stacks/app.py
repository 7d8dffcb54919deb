"""Builds the cdktf App for one configuration."""

from __future__ import annotations

from pathlib import Path

from cdktf import App

from cluster_config import LoadedConfig

from .cluster_stack import ClusterStack
from .network_refs import CreatedNetwork, ExistingNetwork
from modules.cluster_access import ClusterAccessProps
from modules.platform import platform_releases

from .network_stack import NetworkStack
from .platform_stack import PlatformStack


def stack_names(name: str) -> dict[str, str]:
    return {"network": f"{name}-network", "cluster": f"{name}-cluster", "platform": f"{name}-platform"}


def build_app(loaded: LoadedConfig, outdir: str | None = None) -> App:
    config = loaded.config
    if outdir:
        Path(outdir).parent.mkdir(parents=True, exist_ok=True)  # cdktf creates only the last level
    app = App(outdir=outdir) if outdir else App()
    names = stack_names(config.name)
    if config.network.existing_vpc is None:
        network = CreatedNetwork(NetworkStack(app, names["network"], config=config).network)
    else:
        network = ExistingNetwork(config.network.existing_vpc)
    cluster = ClusterStack(app, names["cluster"], config=config, network=network)
    releases = platform_releases(config)
    if releases:
        cp = cluster.control_plane
        platform = PlatformStack(app, names["platform"], config=config, releases=releases, cluster=ClusterAccessProps(
            cluster_name=cp.name, endpoint=cp.endpoint, certificate_authority_data=cp.certificate_authority_data,
            region=config.region, auth=config.platform.kubernetes_auth,
        ))
        # Explicit as well as implied by the references: `cdktf deploy '*'` must
        # never start Helm before the node groups exist.
        platform.add_dependency(cluster)
    return app
