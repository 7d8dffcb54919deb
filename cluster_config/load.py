"""Read one environment's YAML file and turn every problem into one readable line."""

from __future__ import annotations

import copy
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from . import rules
from .model import ClusterConfig

PATTERN_HINTS = {
    "name": "3-20 lowercase letters, digits or '-', starting and ending with a letter or digit",
    "region": "an AWS region of the commercial partition such as us-west-2 (China and GovCloud are not supported)",
    "image": "a container image reference such as registry/repository:tag",
    "capacity_reservation_id": "a capacity reservation id, cr- and 17 hex digits such as cr-0123456789abcdef0",
    "vpc_id": "a VPC id such as vpc-0123456789abcdef0",
    "private_subnet_ids": "a subnet id such as subnet-0123456789abcdef0",
    "admin_principal_arns": "an IAM role or user ARN such as arn:aws:iam::111122223333:role/platform-admin",
    "version": "a chart version such as 1.2.3",
    "bucket": "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')",
    "key_prefix": "an S3 key prefix such as gpu-eks/prod (no trailing '/')",
    "organization": "a Terraform Cloud organization name",
    "workspace_prefix": "letters, digits, '-' or '_' (at most 60)",
    "dynamodb_table": "a DynamoDB table name",
    "namespaces": "a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)",
    "import_path": "an S3 URI such as s3://my-datasets/imagenet",
    "bucket_name": "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')",
}
TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "float_type": "a number",
    "int_from_float": "a whole number",
}


class ConfigError(Exception):
    """A configuration file cannot be used; ``lines`` holds one line per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class LoadedConfig:
    path: Path
    config: ClusterConfig
    warnings: list[str] = field(default_factory=list)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping, which PyYAML silently collapses."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(None, None, f"key '{key}' is written twice in the same mapping", mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path) -> LoadedConfig:
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{shown}: file not found (set CLUSTER_CONFIG or --config to an existing YAML file, e.g. config/default.yaml)"]
        ) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [f"{shown}: cannot read: {exc.strerror if hasattr(exc, 'strerror') and exc.strerror else exc}"]
        ) from None

    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError([f"{shown}: {_yaml_message(exc)}"]) from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ConfigError([f"{shown}: the top level must be a mapping of keys such as name, region, network (got {got})"])

    field_errors: list[str] = []
    broken: set[str] = set()
    try:
        config: ClusterConfig | None = ClusterConfig.model_validate(data)
    except ValidationError as exc:
        field_errors = _pydantic_lines(exc, data)
        config, broken = _without_broken_fields(data, exc)

    # The cross-field rules run even when some fields are wrong, on the config with
    # those fields left at their defaults, so one run reports every mistake; a rule
    # whose finding involves a wrong field is dropped, as it would mislead.
    errors, warnings = rules.check(config) if config is not None else ([], [])
    errors = [e for e in errors if not _involves(e, broken)]
    if field_errors or errors:
        raise ConfigError([f"{shown}: {line}" for line in field_errors] + [f"{shown}: {e.path}: {e.message}" for e in errors])
    assert config is not None, "a config that did not validate has field errors"
    return LoadedConfig(path=path, config=config, warnings=[f"{shown}: {w.path}: {w.message}" for w in warnings])


def _without_broken_fields(data: dict, exc: ValidationError) -> tuple[ClusterConfig | None, set[str]]:
    """The config with every wrong field removed (so its default applies), and the
    user paths removed; None when a required key is wrong or missing."""
    data = copy.deepcopy(data)
    broken: set[str] = set()
    for _ in range(10):
        for error in exc.errors(include_url=False):
            keys = [part for part in error["loc"] if isinstance(part, int) or ("[" not in part and "(" not in part)]
            if error["type"] == "missing" or not _remove(data, keys):
                return None, broken
            broken.add(_walk(tuple(error["loc"]))[0])
        try:
            return ClusterConfig.model_validate(data), broken
        except ValidationError as again:
            exc = again
    return None, broken


def _remove(data, keys: list) -> bool:
    """Deletes data[k0][k1]...; False if the path does not lead to a removable key."""
    target = data
    for key in keys[:-1]:
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return False
    last = keys[-1] if keys else None
    if isinstance(target, dict) and last in target:
        del target[last]
        return True
    if isinstance(target, list) and isinstance(last, int) and last < len(target):
        target.pop(last)  # a wrong list item: the rest of the list is still checked
        return True
    return False


def _involves(finding: rules.Finding, broken: set[str]) -> bool:
    def under(path: str, prefix: str) -> bool:
        return path == prefix or path.startswith((prefix + ".", prefix + "["))

    return any(under(path, b) or under(b, path) for path in (finding.path, *finding.related) for b in broken)


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}malformed YAML: {problem}"


def _walk(loc: tuple) -> tuple[str, type[BaseModel] | None]:
    """The user-facing path of a pydantic error location, and the model that holds
    its last key. Skips what pydantic adds that is not a user key: validator tags and
    the tag of a discriminated union (backend.s3.bucket is shown as backend.bucket)."""
    path = ""
    model: type[BaseModel] | None = ClusterConfig
    choices: dict[str, type[BaseModel]] = {}
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        if "[" in part or "(" in part:
            continue
        if part in choices:
            model, choices = choices[part], {}
            continue
        path += ("." if path else "") + part
        info = model.model_fields.get(part) if model else None
        models = _models_in(info.annotation) if info else []
        choices = (
            {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in models if "type" in m.model_fields}
            if len(models) > 1
            else {}
        )
        model = models[0] if len(models) == 1 else None
    return path or "(top level)", model


def _describe(value) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()}, a boolean"
    if isinstance(value, (int, float)):
        return f"{value}, a number"
    if isinstance(value, str):
        return f"'{value}', a string"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found += _models_in(arg)
    return found


def _pydantic_lines(exc: ValidationError, data: dict) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        value = error.get("input")
        path, _ = _walk(loc)
        field_name = next((p for p in reversed(loc) if isinstance(p, str) and "[" not in p), "")
        if kind == "missing":
            message = "required key is missing"
        elif kind == "extra_forbidden":
            _, parent = _walk(loc[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean '{guess[0]}'? " if guess else ""
            message = f"unknown key; {hint}allowed keys: {', '.join(allowed)}"
        elif kind in TYPE_NAMES:
            message = f"expected {TYPE_NAMES[kind]} (got {_describe(value)})"
            if field_name == "kubernetes_version" and isinstance(value, (int, float)):
                message += "; quote it, e.g. \"1.34\" (YAML reads 1.30 as the number 1.3)"
        elif kind == "union_tag_invalid":
            message = (
                f"must be one of {error['ctx']['expected_tags'].replace(chr(39), '')} (got {_describe(error['ctx']['tag'])})"
            )
        elif kind == "union_tag_not_found":
            message = "needs a type: local, s3 or cloud"
        elif kind == "literal_error":
            allowed = (
                error["ctx"]["expected"].replace("'", "").replace(" or ", ", ").replace("True", "true").replace("False", "false")
            )
            message = f"must be one of {allowed} (got {_describe(value)})"
        elif kind == "string_pattern_mismatch":
            message = f"must be {PATTERN_HINTS.get(field_name, 'of the documented form')} (got '{value}')"
        elif kind in ("string_too_short", "string_too_long"):
            hint = PATTERN_HINTS.get(field_name, "")
            message = f"must be {hint}" if hint else error["msg"].lower()
            message += f" (got '{value}', {len(value)} characters)"
        elif kind in ("too_short", "too_long"):
            ctx = error["ctx"]
            bound = f"at least {ctx['min_length']}" if kind == "too_short" else f"at most {ctx['max_length']}"
            message = f"needs {bound} entries (got {ctx['actual_length']})"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            op = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[kind]
            bound = next(iter(error["ctx"].values()))
            message = f"must be {op} {bound} (got {value})"
        elif kind == "value_error":
            message = str(error["ctx"]["error"])
        else:
            message = f"{error['msg']} (got {_describe(value)})"
        lines.append(f"{path}: {message}")
    return lines
