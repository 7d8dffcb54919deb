"""The node health gate's checker, shipped to each gated node by the node-health-check component."""
