"""What every AWS stack starts with."""

from __future__ import annotations

from constructs import Construct

from cluster_config.model import ClusterConfig
from cluster_config.plan import default_tags
from modules import bindings as aws


def aws_provider(scope: Construct, config: ClusterConfig) -> aws.AwsProvider:
    return aws.AwsProvider(
        scope, "aws", region=config.region, default_tags=[aws.AwsProviderDefaultTags(tags=default_tags(config))],
    )
