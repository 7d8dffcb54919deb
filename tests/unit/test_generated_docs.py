"""The configuration reference and the JSON Schema are what `make docs` writes from the model,
and every example configuration validates against that schema, as editors will check it."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT
from tools import gen_docs

CONFIGS = sorted((ROOT / "config").glob("*.yaml"))


@pytest.mark.parametrize("path", [gen_docs.SCHEMA, gen_docs.REFERENCE], ids=lambda p: p.name)
def test_generated_file_is_current(path):
    assert path.read_text() == gen_docs.outputs()[path], f"{path.name} is stale: run make docs"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_example_config_names_the_schema_and_validates_against_it(config):
    text = config.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../config.schema.json"
    schema = json.loads(gen_docs.SCHEMA.read_text())
    jsonschema.validate(yaml.safe_load(text), schema)


def test_the_schema_rejects_an_unknown_key_like_the_loader():
    schema = json.loads(gen_docs.SCHEMA.read_text())
    document = yaml.safe_load((ROOT / "config" / "default.yaml").read_text())
    document["network"]["nat_gatways"] = "single"
    with pytest.raises(jsonschema.ValidationError, match="nat_gatways"):
        jsonschema.validate(document, schema)


def test_every_key_in_the_reference_has_a_description():
    rows = gen_docs.REFERENCE.read_text().split("## Every key")[1].splitlines()[3:]
    undescribed = [row.split("|")[1].strip() for row in rows if row.rstrip().endswith("|  |")]
    assert not undescribed, f"add a docstring under each of these fields: {undescribed}"


def test_the_reference_gives_type_default_and_description_of_a_known_key():
    assert (
        "| `gpu_node_groups[].capacity_type` | \"on_demand\" \\| \"spot\" \\| \"capacity_block\" | `\"on_demand\"` |"
        in gen_docs.REFERENCE.read_text()
    )
