"""moto_server, with moto 5.2.2's answer to a revoke of a rule that is already gone made AWS's.

Run as a script by tools/emulator.py (``python tools/emulator_server.py -H 127.0.0.1 -p PORT``):
it imports only moto. The one change, and why it is needed, is in emulator_gaps.py ("Changed in the emulator itself").
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from moto.ec2.exceptions import InvalidPermissionNotFoundError, InvalidSecurityGroupRuleIdNotFoundError
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.server import main


def _aws_answer_for_a_gone_rule(revoke: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(revoke)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            revoke(self, *args, **kwargs)
        except InvalidPermissionNotFoundError:
            rule_ids = kwargs.get("security_rule_ids")
            if not rule_ids:
                raise  # a revoke by protocol, ports and sources: AWS answers InvalidPermission.NotFound too
            raise InvalidSecurityGroupRuleIdNotFoundError(rule_ids[0]) from None

    return wrapped


for _name in ("revoke_security_group_ingress", "revoke_security_group_egress"):
    setattr(SecurityGroupBackend, _name, _aws_answer_for_a_gone_rule(getattr(SecurityGroupBackend, _name)))

if __name__ == "__main__":
    main()
