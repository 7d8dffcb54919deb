"""Benchmark baseline: import the prebuilt provider packages the ordinary way and
synthesize one empty stack. This is what any cdktf Python app pays before it has
made a single resource."""

from __future__ import annotations

import sys

import modules  # noqa: F401  (the same jsii Node environment as the real synth)

import cdktf
import cdktf_cdktf_provider_aws  # noqa: F401
import cdktf_cdktf_provider_helm  # noqa: F401
import cdktf_cdktf_provider_kubernetes  # noqa: F401

app = cdktf.App(outdir=sys.argv[1])
cdktf.TerraformStack(app, "empty")
app.synth()
