"""Construct specs: each construct synthesized alone in a stack of its own, with cdktf's Testing.

Props come from real plans (``tests.conftest.plan_for``), so a spec exercises the values the
stacks really pass. Each spec module synthesizes once per scenario (module-scoped fixtures).
"""

from __future__ import annotations

import json
from typing import Any, Callable

import modules  # noqa: F401  (sets jsii's Node environment; must come before cdktf)
from cdktf import TerraformStack, Testing
from constructs import Construct

from cluster_config.context import ClusterContext

# Values the stacks pass from other resources; in a spec any literal of the right shape will do.
ACCOUNT_ID = "111122223333"
VPC_ID = "vpc-0123456789abcdef0"
NODE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/demo-node"
CLUSTER_SECURITY_GROUP_ID = "sg-0c1u5te75ec9r0up"


def context_for(plan) -> ClusterContext:
    """The handle the cluster stack gives its constructs, for this plan's cluster; the account and
    the cluster resource's name and version are literals here, where the stack passes references."""
    return ClusterContext(
        name=plan.name,
        region=plan.region,
        partition=plan.partition,
        account_id=ACCOUNT_ID,
        cluster_name=plan.name,
        kubernetes_version=plan.kubernetes_version,
    )


class Spec:
    """A construct's stack after synth: ``text`` is what Testing's matchers read, ``doc`` the same parsed."""

    def __init__(self, text: str, construct: Any, stack: TerraformStack):
        self.text = text
        self.doc = json.loads(text)
        self.construct = construct
        self.stack = stack

    def resources(self, kind: str) -> dict[str, dict]:
        return self.doc.get("resource", {}).get(kind, {})

    def resource(self, kind: str) -> dict:
        """The one resource of ``kind``."""
        found = list(self.resources(kind).values())
        assert len(found) == 1, f"expected one {kind}, found {len(found)}"
        return found[0]

    def data_sources(self, kind: str) -> dict[str, dict]:
        return self.doc.get("data", {}).get(kind, {})

    def kinds(self) -> set[str]:
        return set(self.doc.get("resource", {}))

    def address(self, kind: str, key: str) -> str:
        """A resource's reference prefix as Terraform writes it, e.g. ``aws_kms_key.control_plane_key_5B5DFEBB``."""
        assert key in self.resources(kind), f"no {kind}.{key}; have {sorted(self.resources(kind))}"
        return f"{kind}.{key}"

    def only_address(self, kind: str) -> str:
        (key,) = self.resources(kind)
        return f"{kind}.{key}"

    # Testing's matchers return a bare bool; these say what was there instead.
    def expect_resource(self, kind: str, properties: dict | None = None) -> None:
        found = Testing.to_have_resource_with_properties(self.text, kind, properties or {})
        assert found, (
            f"no {kind} with {json.dumps(properties)}; the {kind} resources are {json.dumps(self.resources(kind), indent=1)}"
        )

    def expect_data_source(self, kind: str, properties: dict | None = None) -> None:
        found = Testing.to_have_data_source_with_properties(self.text, kind, properties or {})
        assert found, f"no data.{kind} with {json.dumps(properties)}; have {json.dumps(self.data_sources(kind), indent=1)}"

    def expect_provider(self, kind: str, properties: dict | None = None) -> None:
        found = Testing.to_have_provider_with_properties(self.text, kind, properties or {})
        assert found, (
            f"no provider {kind} with {json.dumps(properties)}; have {json.dumps(self.doc.get('provider', {}), indent=1)}"
        )


def synth_alone(build: Callable[[Construct], Any]) -> Spec:
    """Synthesizes what ``build(stack)`` adds to a fresh stack; ``build`` returns the construct under test."""
    stack = TerraformStack(Testing.app(), "spec")
    construct = build(stack)
    return Spec(Testing.synth(stack), construct, stack)


def policy(text: str) -> dict:
    """An IAM document, parsed, with its statements by Sid (or by index where there is none)."""
    document = json.loads(text)
    assert document["Version"] == "2012-10-17"
    return {statement.get("Sid", str(i)): statement for i, statement in enumerate(document["Statement"])}
