"""The upstream charts' own files at the pinned versions: whole charts, CRD schemas and values.yaml.

They are not part of this repository (nobody here wrote them): they are read from
``$UPSTREAM_REFERENCE``, else from ``shared/reference/upstream`` beside the checkout, else
from the chart cache that tools/upstream_charts.py fills on a machine with internet
(``helm pull`` at the pins, digests checked; CRDs from their upstream tags).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

from tests.conftest import unavailable  # noqa: F401  (render.py and the render tests call it from here)
from tools import upstream_charts

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def _located() -> tuple[Path | None, str]:
    return upstream_charts.upstream_dir()


def require_reference() -> Path:
    """The reference directory (or the fetched cache), or a skip saying why there is none."""
    directory, how = _located()
    if directory is None:
        unavailable(f"no upstream charts: {how}")
    return directory


def chart_dir(name: str, version: str) -> Path | None:
    """A whole upstream chart at a version (``charts/<name>-<version>``), or None if the reference lacks it."""
    path = require_reference() / "charts" / f"{name}-{version}"
    return path if (path / "Chart.yaml").is_file() else None


# libyaml's parser where PyYAML has it: the reference CRDs are megabytes.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=None)
def _reference_crds() -> tuple[dict, ...]:
    return tuple(yaml.load(p.read_text(), Loader=_LOADER) for p in sorted(require_reference().glob("*/crds/*.yaml")))


def reference_crds() -> list[dict]:
    """The CRDs the reference keeps beside the charts (``*/crds/*.yaml``); shared, do not modify."""
    return list(_reference_crds())


@lru_cache(maxsize=None)
def crd_schema(kind: str, version: str) -> dict:
    """The openAPIV3Schema of ``kind`` at ``version``, made strict: unknown fields are
    errors, as the API server prunes or rejects them."""
    for crd in _reference_crds():
        if crd["spec"]["names"]["kind"] == kind and served_schema(crd, version) is not None:
            return served_schema(crd, version)
    raise KeyError(f"no CRD for {kind} {version} under {require_reference()}")


_SERVED: dict[tuple[int, str], tuple[dict, dict | None]] = {}


def served_schema(crd: dict, version: str) -> dict | None:
    """The strict openAPIV3Schema a CRD serves at ``version``, or None if it serves no such
    version; made once per CRD object and version (the object is kept, so its id stays its own)."""
    key = (id(crd), version)
    if key not in _SERVED:
        schema = None
        for served in crd["spec"]["versions"]:
            if served["name"] == version and served.get("served", True):
                schema = _strict(copy.deepcopy(served["schema"]["openAPIV3Schema"]))
        _SERVED[key] = (crd, schema)
    return _SERVED[key][1]


def _strict(schema: dict) -> dict:
    pattern = schema.get("pattern")
    if pattern and "(?i)" in pattern[1:]:
        # Go's RE2 takes an inline flag anywhere; Python only at the start.
        schema["pattern"] = "(?i)" + pattern.replace("(?i)", "")
    if schema.pop("x-kubernetes-int-or-string", False):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = schema.pop("x-kubernetes-preserve-unknown-fields", False)
    if "required" in schema and "properties" in schema:
        # The API server applies a structural schema's defaults before it validates, so a
        # required field with a default may be left out (Kubernetes docs, "Extend the Kubernetes
        # API with CustomResourceDefinitions", Defaulting).
        schema["required"] = [p for p in schema["required"] if "default" not in schema["properties"].get(p, {})]
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


_VALIDATORS: dict[int, tuple[dict, object]] = {}  # id(schema) -> (schema, its validator)


def validate_custom_resource(obj: dict, schema: dict | None = None) -> list[str]:
    """Every schema error of a custom resource, as 'path: message' lines; against ``schema``
    (from ``served_schema``), else its kind's CRD in the reference."""
    import jsonschema

    group_version, kind = obj["apiVersion"], obj["kind"]
    schema = schema or crd_schema(kind, group_version.split("/")[1])
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    validator = _VALIDATORS.get(id(schema), (None, None))[1]
    if validator is None:
        validator = jsonschema.Draft7Validator(schema)
        _VALIDATORS[id(schema)] = (schema, validator)
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
