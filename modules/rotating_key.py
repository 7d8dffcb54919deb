"""A customer-managed KMS key that rotates, with its alias."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cdktf import TerraformStack
from constructs import Construct

from cluster_config.context import AwsContext

from . import bindings as aws
from .iam import policy_document


@dataclass(frozen=True, kw_only=True)
class RotatingKeyProps:
    context: AwsContext
    description: str
    alias: str  # without the alias/ prefix
    # What AWS services may do with the key, besides the account administering it (a
    # service that encrypts for us is named in the key policy; roles get the key in IAM).
    service_statements: tuple[dict, ...] = ()


class RotatingKey(Construct):
    """Rotates yearly and waits 30 days before deletion (the longest window, so a key
    deleted by mistake can still be recovered). The key policy lets the account administer
    the key through IAM, so who may use it is said in IAM policies, except for AWS services,
    which the key policy names (``service_statements``).

    The key is this construct's default child, so its Terraform address is the one the key
    had before the construct existed (cdktf leaves a "Default" id out of the address): a
    key is never replaced by a refactoring, and with it the data it encrypts. The alias had
    its own address beside the key, ``<id>_alias``; a ``moved`` block carries its state from
    there (Terraform ignores one where nothing was).
    """

    def __init__(self, scope: Construct, id_: str, *, props: RotatingKeyProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.props = props
        self.key = aws.KmsKey(
            self,
            "Default",
            description=props.description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy_document(
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": props.context.account_root_arn},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                *props.service_statements,
            ),
            depends_on=list(depends_on) or None,
        )
        self.alias = aws.KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)
        stack_path = TerraformStack.of(self).node.path
        parent, _, own = self.node.path[len(stack_path) + 1 :].rpartition("/")
        self.alias.move_from_id(
            f"aws_kms_alias.{logical_id([*parent.split('/'), f'{own}_alias'] if parent else [f'{own}_alias'])}"
        )

    @property
    def arn(self) -> str:
        return self.key.arn


def logical_id(components: list[str]) -> str:
    """The Terraform name cdktf 0.21 gives an element at this construct path below its stack.

    cdktf's makeUniqueId (lib/private/unique.ts, used by TerraformStack.allocateLogicalId): a
    "Default" component is left out; a single component is used as it is; otherwise the
    components, each stripped to [A-Za-z0-9_-], a component that ends the one before it
    dropped and "Resource" hidden, joined by "_", then "_" and the first 8 hex digits of the
    MD5 of the path, upper case.
    """
    components = [c for c in components if c != "Default"]
    if len(components) == 1 and len(_allowed(components[0])) <= 255:
        return _allowed(components[0])
    digest = hashlib.md5("/".join(components).encode()).hexdigest()[:8].upper()
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    return "_".join(_allowed(c) for c in human if c != "Resource")[:240] + "_" + digest


def _allowed(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", text)
