"""One construct per module; each takes one frozen, keyword-only props object.

Importing this package prepares jsii's Node environment, so it must come before
the first ``import cdktf`` (``stacks`` imports it first for that reason).
"""

from .node_runtime import silence_node_eol_banner

silence_node_eol_banner()
