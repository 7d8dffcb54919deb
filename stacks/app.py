"""Builds the cdktf App from a plan: one stack per role, wired by cross-stack references."""

from __future__ import annotations

from pathlib import Path

from cdktf import App

from cluster_config.plan import ClusterPlan
from modules.cluster_access import ClusterAccessProps

from .cluster_stack import ClusterStack
from .network_stack import NetworkStack
from .platform_stack import PlatformStack


def build_app(plan: ClusterPlan, outdir: str | None = None) -> App:
    """Stacks see only the plan (``cluster_config.plan.build_plan``), never the configuration."""
    if outdir:
        Path(outdir).parent.mkdir(parents=True, exist_ok=True)  # cdktf creates only the last level
    app = App(outdir=outdir) if outdir else App()
    network = NetworkStack(app, plan.stack_name("network"), plan=plan).refs if plan.network else None
    cluster = ClusterStack(app, plan.stack_name("cluster"), plan=plan, network=network)
    if plan.platform.releases:
        cp = cluster.control_plane
        platform = PlatformStack(
            app,
            plan.stack_name("platform"),
            plan=plan,
            cluster=ClusterAccessProps(
                cluster_name=cp.name,
                endpoint=cp.endpoint,
                certificate_authority_data=cp.certificate_authority_data,
                region=plan.region,
                auth=plan.platform.auth,
            ),
            inputs=cluster.inputs,
        )
        # Explicit as well as implied by the references: `cdktf deploy '*'` must
        # never start Helm before the node groups exist.
        platform.add_dependency(cluster)
    return app
