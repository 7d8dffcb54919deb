"""IAM policy documents as JSON, built in Python so no data source round-trip is needed."""

from __future__ import annotations

import json


def assume_role_policy(service: str, *, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
    })


def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
