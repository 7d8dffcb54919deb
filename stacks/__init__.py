"""Stacks compose constructs from ``modules`` and wire values between stacks."""

import modules  # noqa: F401  (sets jsii's Node environment before cdktf starts it)
