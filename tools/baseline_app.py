"""Benchmark baseline: import the prebuilt provider packages the ordinary way and
synthesize one empty stack. This is what any cdktf Python app pays before it has
made a single resource."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import modules  # noqa: E402,F401  (the same jsii Node environment as the real synth)

import cdktf  # noqa: E402
import cdktf_cdktf_provider_aws  # noqa: E402,F401
import cdktf_cdktf_provider_helm  # noqa: E402,F401
import cdktf_cdktf_provider_kubernetes  # noqa: E402,F401

app = cdktf.App(outdir=sys.argv[1])
cdktf.TerraformStack(app, "empty")
app.synth()
