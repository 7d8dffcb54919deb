"""Reads a stack's plan and says, in plain words, what it would destroy.

``terraform show -json <planfile>`` describes each resource instance's change in
``resource_changes[].change.actions`` (Terraform docs, "JSON Output Format", Change
Representation): ["create"], ["update"], ["delete", "create"] or ["create", "delete"]
(a replacement: destroy-then-create, or create_before_destroy), ["delete"], and
["no-op"] or ["read"], which change nothing. ``verdicts`` turns every change into a
record ``{stack, address, type, action, flagged, reason}``, action one of create,
update, replace or delete.

A change is *flagged* when it replaces or deletes something that holds data,
capacity or identity: the EKS cluster, the VPC and its subnets, the FSx file system,
the checkpoint bucket, KMS keys, log groups, node groups, and a Capacity Block
group's launch template. ``make deploy`` refuses a plan with flagged changes unless
each flagged address is allowed (tools/cluster.py, ``ALLOW_REPLACE``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

ACTIONS = ("create", "update", "replace", "delete")


class PlanFormatError(Exception):
    """The plan is not one this guard can judge; refusing is safer than guessing."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    stack: str
    address: str
    type: str
    action: str  # create, update, replace, delete
    flagged: bool
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def action_of(actions: list[str]) -> str | None:
    """create, update, replace or delete; None for a change that changes nothing."""
    if actions in (["no-op"], ["read"]):
        return None
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if actions in (["create"], ["update"], ["delete"]):
        return actions[0]
    # The docs promise new combinations may appear ("forget" came with `removed` blocks):
    # an action the guard cannot read is refused, never passed as harmless.
    raise PlanFormatError(f"unknown actions {actions}: this guard reads Terraform's JSON plan format 1.x")


# ---- what each guarded resource is, and what replacing or deleting it costs ---------


@dataclass(frozen=True, kw_only=True)
class Guarded:
    noun: Callable[[dict], str]  # from the object's values (before, or after for a create)
    loss: Callable[["Change"], str]


@dataclass(frozen=True, kw_only=True)
class Change:
    """One resource_changes entry, with the rest of its stack's plan for context."""

    entry: dict
    plan: dict

    @property
    def values(self) -> dict:
        change = self.entry["change"]
        return change.get("before") or change.get("after") or {}


def _name(value, fallback: str) -> str:
    return value if isinstance(value, str) and value else fallback


def _lost_cluster(_: Change) -> str:
    return "every workload in it and its in-cluster state are lost"


def _lost_network(kind: str) -> Callable[[Change], str]:
    def lost(_: Change) -> str:
        return (
            f"the node groups, the cluster's network interfaces and the file system placed in this {kind} "
            "lose their network and must be removed or replaced with it"
        )

    return lost


def _lost_log_group(_: Change) -> str:
    # CloudWatch Logs API Reference, DeleteLogGroup: "permanently deletes all the archived
    # log events associated with the log group".
    return "its log events are deleted with it, for good"


def _lost_kms_key(change: Change) -> str:
    # AWS KMS Developer Guide, "Deleting AWS KMS keys": a deleted key's data can no longer be
    # decrypted; deletion waits 7-30 days (the provider's deletion_window_in_days, 30 when unset),
    # during which CancelKeyDeletion undoes it.
    days = change.values.get("deletion_window_in_days") or 30
    key = change.values.get("key_id") or "<key id>"
    return (
        f"after its {days}-day waiting period, everything encrypted with it can no longer be decrypted; "
        f"until then `aws kms cancel-key-deletion --key-id {key}` undoes the deletion"
    )


def _lost_bucket(change: Change) -> str:
    # S3 API Reference, DeleteBucket: every object version and delete marker must be deleted first;
    # the provider's force_destroy deletes them itself.
    if change.values.get("force_destroy"):
        return "force_destroy is on, so Terraform first deletes every checkpoint and every version in it"
    return (
        "the checkpoints in it are lost once it is emptied; S3 deletes only an empty bucket (force_destroy "
        "is off), so the apply fails until someone deletes every object version in it"
    )


def _lost_node_group(_: Change) -> str:
    # EKS user guide, "Delete a managed node group": each node is drained, then terminated;
    # pods that do not drain within 15 minutes are deleted.
    return (
        "its nodes are drained and terminated: running pods, TrainJobs among them, are evicted "
        "(a TrainJob restarts from its newest checkpoint, within max_restarts), and GPU capacity given back "
        "may not be there again"
    )


def _lost_capacity_block_template(_: Change) -> str:
    # EKS user guide, "Create a managed node group with Amazon EC2 Capacity Blocks for ML":
    # such groups need a custom launch template, and are upgraded at desired size 0.
    return (
        "the group's nodes roll onto the new template, and a Capacity Block has no spare instances to start "
        "replacements on: EKS says to update a Capacity Block group only at desired size 0, so scale it to 0 "
        "(after its jobs checkpoint) before you apply"
    )


def _s3_linked(change: Change) -> bool:
    """An import path on the file system itself, or a data repository association in the stack.

    The stacks make at most one file system each, so an association in the plan is its association."""
    if change.values.get("import_path"):
        return True
    kind = "aws_fsx_data_repository_association"
    if any(c.get("type") == kind for c in change.plan.get("resource_changes", [])):
        return True
    resources = change.plan.get("prior_state", {}).get("values", {}).get("root_module", {}).get("resources", [])
    return any(r.get("type") == kind for r in resources)


def _lost_file_system(change: Change) -> str:
    """What is lost with the file system, and whether the deletion keeps a final backup.

    * FSx API Reference, DeleteFileSystem: for Lustre, "By default, Amazon FSx will not take a
      final backup"; SkipFinalBackup = false takes one, only on a file system not linked to S3
      ("Backups cannot be enabled on S3-linked file systems"); to write data back to S3 first,
      run an export data repository task.
    * hashicorp/aws 5.100.0 plans ``skip_final_backup = true`` for aws_fsx_lustre_file_system when
      the configuration leaves it unset (seen in `terraform show -json`), and the stacks leave it unset.
    * FSx for Lustre user guide, "Working with backups": backups are for persistent file systems
      that are not linked to an S3 data repository; there are none of a scratch file system.
    """
    values = change.values
    fs_id = values.get("id") or "<file system id>"
    lost = "data written to /fsx and not exported to S3 is lost"
    deployment = str(values.get("deployment_type") or "")
    export = (
        f"export it to S3 first: `aws fsx create-data-repository-task --file-system-id {fs_id} "
        "--type EXPORT_TO_REPOSITORY --report Enabled=false`, and wait for it to succeed"
    )
    if deployment.startswith("SCRATCH"):
        how = "FSx keeps no backups of a scratch file system, so nothing is kept: " + (
            export if _s3_linked(change) else "copy what you need off /fsx first"
        )
    elif _s3_linked(change):
        how = "it is linked to S3, which FSx cannot back up, so the deletion makes no final backup: " + export
    elif values.get("skip_final_backup") is False:
        how = "skip_final_backup is false, so FSx takes a final backup as it deletes it"
    else:
        how = (
            "the deletion makes no final backup (skip_final_backup is true, the provider's default): "
            f"take one first, `aws fsx create-backup --file-system-id {fs_id}`"
        )
    return f"{lost}; {how}"


def _is_capacity_block_template(values: dict) -> bool:
    # A plan shows the block as a list of one object; a synthesized body (the rehearsal) as the object.
    options = values.get("instance_market_options") or []
    options = [options] if isinstance(options, dict) else options
    return any(isinstance(o, dict) and o.get("market_type") == "capacity-block" for o in options)


GUARDED: dict[str, Guarded] = {
    "aws_eks_cluster": Guarded(noun=lambda v: f"the EKS cluster {_name(v.get('name'), '(unnamed)')}", loss=_lost_cluster),
    "aws_vpc": Guarded(noun=lambda v: f"the VPC {_name(v.get('cidr_block'), '')}".rstrip(), loss=_lost_network("VPC")),
    "aws_subnet": Guarded(
        noun=lambda v: f"the subnet {_name(v.get('cidr_block'), '')} in {_name(v.get('availability_zone'), '?')}",
        loss=_lost_network("subnet"),
    ),
    "aws_fsx_lustre_file_system": Guarded(
        noun=lambda v: (
            f"the FSx for Lustre file system {_name((v.get('tags') or {}).get('Name'), _name(v.get('id'), ''))}".rstrip()
        ),
        loss=_lost_file_system,
    ),
    "aws_s3_bucket": Guarded(noun=lambda v: f"the checkpoint bucket {_name(v.get('bucket'), '')}".rstrip(), loss=_lost_bucket),
    "aws_kms_key": Guarded(noun=lambda v: f"the KMS key '{_name(v.get('description'), '')}'", loss=_lost_kms_key),
    "aws_cloudwatch_log_group": Guarded(
        noun=lambda v: f"the log group {_name(v.get('name'), '')}".rstrip(), loss=_lost_log_group
    ),
    "aws_eks_node_group": Guarded(
        noun=lambda v: f"the node group {_name(v.get('node_group_name'), '')}".rstrip(),
        loss=_lost_node_group,
    ),
}
# A launch template is guarded only when it is a Capacity Block group's; any other one is
# replaced freely (its node group rolls onto the new one, which new capacity can serve).
CAPACITY_BLOCK_TEMPLATE = Guarded(
    noun=lambda v: f"the launch template {_name(v.get('name'), '')} of a Capacity Block group".replace("  ", " "),
    loss=_lost_capacity_block_template,
)


def guarded(entry: dict) -> Guarded | None:
    if entry.get("type") == "aws_launch_template":
        change = entry["change"]
        if any(_is_capacity_block_template(v or {}) for v in (change.get("before"), change.get("after"))):
            return CAPACITY_BLOCK_TEMPLATE
        return None
    return GUARDED.get(entry.get("type", ""))


# ---- the reason, in words --------------------------------------------------------------


def _path(steps: list) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _cause(entry: dict) -> str:
    """Why Terraform replaces it, where the plan says so."""
    paths = entry["change"].get("replace_paths") or []
    if paths:
        return f" (forced by a change to {', '.join(_path(p) for p in paths)})"
    reason = entry.get("action_reason", "")
    return {
        "replace_because_tainted": " (it is tainted)",
        "replace_by_request": " (-replace asked for it)",
        "delete_because_no_resource_config": " (no longer in the configuration)",
    }.get(reason, "")


def _normal(value):
    """A value with null and empty collections made one: plans show an unset list as either."""
    if isinstance(value, dict):
        value = {k: n for k, n in ((k, _normal(v)) for k, v in value.items()) if n is not None}
    elif isinstance(value, list):
        value = [_normal(v) for v in value]
        value = [] if all(v is None for v in value) else value
    return value if value not in ([], {}) else None


def _unknown(marks) -> bool:
    """after_unknown marks each leaf true (known only after apply) or false."""
    if isinstance(marks, dict):
        return any(_unknown(m) for m in marks.values())
    if isinstance(marks, list):
        return any(_unknown(m) for m in marks)
    return marks is True


def changed_attributes(entry: dict) -> list[str]:
    change = entry["change"]
    before, after, unknown = change.get("before") or {}, change.get("after") or {}, change.get("after_unknown") or {}
    return sorted(
        k for k in set(before) | set(after) if _normal(before.get(k)) != _normal(after.get(k)) or _unknown(unknown.get(k))
    )


def _renamed_hint(entry: dict, plan: dict) -> str:
    """A delete next to a create of the same type is what renaming a construct looks like."""
    created = [
        c["address"]
        for c in plan.get("resource_changes", [])
        if c.get("type") == entry.get("type") and c["change"]["actions"] == ["create"]
    ]
    if not created:
        return ""
    return (
        f". The plan creates {', '.join(created)} too: if that is this one renamed, a moved block "
        "(cdktf's moveTo) keeps it instead"
    )


def _reason(stack: str, entry: dict, action: str, plan: dict, guard: Guarded | None) -> str:
    values = Change(entry=entry, plan=plan).values
    noun = guard.noun(values) if guard else f"{entry['type']} {entry['address']}"
    if action == "create":
        return f"{stack}: {noun} will be created"
    if action == "update":
        attributes = changed_attributes(entry)
        return f"{stack}: {noun} will be updated in place" + (f" ({', '.join(attributes)})" if attributes else "")
    verb = "REPLACED" if action == "replace" else "DELETED"
    text = f"{stack}: {noun} will be {verb}{_cause(entry)}"
    if guard:  # replacing or deleting what the guard watches: it is flagged, and says what is lost
        text += f": {guard.loss(Change(entry=entry, plan=plan))}"
    if action == "delete":
        text += _renamed_hint(entry, plan)
    if entry.get("deposed"):
        text += " (an old copy left behind by an interrupted replacement)"
    return text


def verdicts(stack: str, plan: dict) -> list[Verdict]:
    """Every change of one stack's plan (``terraform show -json``), flagged ones first."""
    version = str(plan.get("format_version", ""))
    if version.split(".")[0] != "1":
        # The docs: reject any input that reports an unsupported major version.
        raise PlanFormatError(f"{stack}: plan format_version {version or '(missing)'}; this guard reads 1.x")
    found = []
    for entry in plan.get("resource_changes", []):
        if entry.get("mode") != "managed":
            continue
        action = action_of(entry["change"]["actions"])
        if action is None:
            continue
        guard = guarded(entry)
        flagged = guard is not None and action in ("replace", "delete")
        found.append(
            Verdict(
                stack=stack,
                address=entry["address"],
                type=entry["type"],
                action=action,
                flagged=flagged,
                reason=_reason(stack, entry, action, plan, guard),
            )
        )
    return flagged_first(found)


def flagged_first(records: list[Verdict]) -> list[Verdict]:
    return sorted(records, key=lambda v: not v.flagged)


def not_allowed(records: list[Verdict], allowed: set[str]) -> list[Verdict]:
    """The flagged changes whose address is not in ``allowed``."""
    return [v for v in records if v.flagged and v.address not in allowed]


def render(records: list[Verdict]) -> list[str]:
    """Lines for a terminal: flagged changes first, each with its reason; then a count per action."""
    records = flagged_first(records)
    lines = []
    flagged = [v for v in records if v.flagged]
    if flagged:
        lines.append(f"{len(flagged)} change(s) replace or delete something that holds data, capacity or identity:")
        lines += [f"  !! {v.address}\n     {v.reason}" for v in flagged]
    others = [v for v in records if not v.flagged]
    counts = ", ".join(f"{sum(v.action == a for v in others)} to {a}" for a in ACTIONS if any(v.action == a for v in others))
    if others:
        lines.append(("Other changes: " if flagged else "Changes: ") + counts)
        lines += [f"     {v.reason}" for v in others if v.action in ("replace", "delete")]
    if not records:
        lines.append("No changes.")
    return lines


def allow_list(text: str | None) -> set[str]:
    """``ALLOW_REPLACE=addr1,addr2`` (commas or spaces) as a set of addresses."""
    return {part for part in (text or "").replace(",", " ").split() if part}
