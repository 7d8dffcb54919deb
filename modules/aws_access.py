"""The AWS provider of one stack, with the project's tags on every resource."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings as aws


@dataclass(frozen=True, kw_only=True)
class AwsAccessProps:
    region: str
    default_tags: dict[str, str]


class AwsAccess(Construct):
    """``default_tags`` put the user's and the project's tags (``names.PROJECT_TAG_KEYS``)
    on every resource that takes tags, so nothing needs to repeat them."""

    def __init__(self, scope: Construct, id_: str, *, props: AwsAccessProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.provider = aws.AwsProvider(
            self,
            "aws",
            region=props.region,
            default_tags=[aws.AwsProviderDefaultTags(tags=dict(props.default_tags))],
        )
