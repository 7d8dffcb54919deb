"""What the platform stack reads from the cluster stack: declared once, as the fields of one dataclass.

These values exist only once the cluster stack is applied (a bucket name, a file system's
id), so a release cannot carry them in its values. A local-chart manifest writes
``FROM_CLUSTER.<field>`` where a value goes, which is the Helm template
``{{ .Values.inputs.<key> }}``; the platform stack sets ``inputs.<key>`` on the release to
the cluster stack's value. ``<key>`` is the field's name in camelCase, derived here, so the
field, the ``set`` key and the template are spelled once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields


@dataclass(frozen=True, kw_only=True)
class PlatformInputs:
    """Values of the cluster stack's resources; None where the resource is not made."""

    checkpoint_bucket: str | None = None  # the checkpoint bucket's name
    fsx_id: str | None = None  # the FSx for Lustre file system's id
    fsx_dns_name: str | None = None
    fsx_mount_name: str | None = None


FIELDS = tuple(f.name for f in fields(PlatformInputs))


def helm_key(field: str) -> str:
    """The release value a field is set as: ``checkpoint_bucket`` -> ``inputs.checkpointBucket``."""
    first, *rest = field.split("_")
    return "inputs." + first + "".join(part.capitalize() for part in rest)


def template(field: str) -> str:
    return "{{ .Values.%s }}" % helm_key(field)


# What a manifest writes where the cluster stack's value goes.
FROM_CLUSTER = PlatformInputs(**{name: template(name) for name in FIELDS})


def read_by(values: dict) -> tuple[str, ...]:
    """The fields whose template occurs in ``values``, in the order of the dataclass."""
    text = json.dumps(values)
    return tuple(name for name in FIELDS if template(name) in text)
