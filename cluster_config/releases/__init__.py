"""The in-cluster platform as a list of small components, each a Helm release spec as plain data.

Every component module has one function, ``release(settings, groups) -> ReleaseSpec | None``,
that returns the release it needs, or None when it has nothing to do for this
cluster. The specs are derived while the plan is built (``cluster_config.plan``) and
tested without a synth; ``modules.helm_release`` turns each into a ``helm_release``.
These modules import plan types only for annotations, so the plan can import them.
"""
