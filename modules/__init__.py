"""Constructs: one per module, each ``Xxx(scope, id, *, props: XxxProps, depends_on=())``.

Besides the constructs, two support modules: ``bindings`` (the only door to the
provider packages) and ``iam`` (IAM documents and ARNs, built in Python).

Importing this package prepares jsii's Node environment, so it must come before
the first ``import cdktf`` (``stacks`` imports it first for that reason).
"""

from __future__ import annotations

import os
import shutil
import subprocess


def silence_node_eol_banner() -> None:
    """jsii prints a multi-line end-of-life banner on Node 20 on every synth. The
    variable names one major version; we name the one actually running, so a user
    who sets their own value keeps it."""
    if "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION" in os.environ:
        return
    node = os.environ.get("JSII_NODE") or shutil.which("node")
    if not node:
        return  # jsii will report the missing runtime itself
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if version.startswith("v"):
        os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = version[1:].split(".")[0]


silence_node_eol_banner()
