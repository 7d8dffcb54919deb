"""The upstream charts' own files at the pinned versions: CRD schemas and values.yaml.

They are not part of this repository (nobody here wrote them): they are read from
``$UPSTREAM_REFERENCE``, else from ``shared/reference/upstream`` beside the checkout.
"""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def reference_dir() -> Path | None:
    configured = os.environ.get("UPSTREAM_REFERENCE")
    candidates = [Path(configured)] if configured else [ROOT.parent / "shared" / "reference" / "upstream"]
    return next((p for p in candidates if (p / "index.json").is_file()), None)


def require_reference() -> Path:
    """The reference directory, or a skip saying it is missing; with CI=true a failure, since a
    CI job that skipped these checks would pass having checked nothing."""
    directory = reference_dir()
    if directory is None:
        reason = ("the upstream reference files are not beside the checkout (../shared/reference/upstream) "
                  "and UPSTREAM_REFERENCE is unset")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so this is a failure, not a skip: {reason}", pytrace=False)
        pytest.skip(reason)
    return directory


@lru_cache(maxsize=None)
def crd_schema(kind: str, version: str) -> dict:
    """The openAPIV3Schema of ``kind`` at ``version``, made strict: unknown fields are
    errors, as the API server prunes or rejects them."""
    directory = require_reference()
    for path in sorted(directory.glob("*/crds/*.yaml")):
        crd = yaml.safe_load(path.read_text())
        if crd["spec"]["names"]["kind"] != kind:
            continue
        for served in crd["spec"]["versions"]:
            if served["name"] == version:
                return _strict(copy.deepcopy(served["schema"]["openAPIV3Schema"]))
    raise KeyError(f"no CRD for {kind} {version} under {directory}")


def _strict(schema: dict) -> dict:
    pattern = schema.get("pattern")
    if pattern and "(?i)" in pattern[1:]:
        # Go's RE2 takes an inline flag anywhere; Python only at the start.
        schema["pattern"] = "(?i)" + pattern.replace("(?i)", "")
    if schema.pop("x-kubernetes-int-or-string", False):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = schema.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in schema:
        for child in schema["properties"].values():
            _strict(child)
        if not preserve and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    if isinstance(schema.get("additionalProperties"), dict):
        _strict(schema["additionalProperties"])
    if isinstance(schema.get("items"), dict):
        _strict(schema["items"])
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key, []):
            _strict(child)
    return schema


def validate_custom_resource(obj: dict) -> list[str]:
    """Every schema error of a custom resource, as 'path: message' lines."""
    import jsonschema

    group_version, kind = obj["apiVersion"], obj["kind"]
    schema = crd_schema(kind, group_version.split("/")[1])
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(body)]


def chart_values(chart: str) -> dict:
    return yaml.safe_load((require_reference() / chart / "values.yaml").read_text())


def unknown_values(ours, upstream, path: str = "") -> list[str]:
    """Keys we set that the chart's values.yaml does not have, or has as another kind.

    Where upstream holds an empty map (nodeSelector, extraArgs, podLabels) any key
    is the user's; where it holds an empty list, any list is."""
    problems = []
    if isinstance(ours, dict):
        if not isinstance(upstream, dict):
            return [f"{path or '(root)'}: a map here, upstream has {type(upstream).__name__}"]
        if not upstream:
            return []
        for key, value in ours.items():
            where = f"{path}.{key}" if path else key
            if key not in upstream:
                problems.append(f"{where}: not a key of the chart's values.yaml")
            else:
                problems += unknown_values(value, upstream[key], where)
    elif isinstance(ours, list):
        if upstream is not None and not isinstance(upstream, list):
            problems.append(f"{path}: a list here, upstream has {type(upstream).__name__}")
    elif isinstance(upstream, (dict, list)) and upstream:
        problems.append(f"{path}: a scalar here, upstream has a {type(upstream).__name__}")
    return problems
