"""The gate file's ``model_card:`` section: validation with key paths, shorthands, the demo's
section, and documentation of every key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from mlgate.config.card import (
    EXPECTED_FIELDS,
    ModelCardSpec,
    missing_fields,
    spec_value,
    validate_card_spec,
)
from mlgate.config.load import load_gate
from mlgate.core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "suites" / "demo" / "mlgate.yaml"
DOCS = REPO / "docs" / "model-card.md"


def test_the_demo_gates_model_card_section_validates():
    section = yaml.safe_load(DEMO.read_text())["model_card"]
    spec = validate_card_spec(section, datasets=["reference", "evaluation"])
    assert spec.model_details.name == "breast-cancer-logreg"
    assert spec.model_details.license.identifier == "Apache-2.0"
    assert spec.intended_use.primary_uses == ["Demonstrating mlgate's gate, report and model card"]
    assert spec.training_data.dataset == "reference"
    # and the whole gate file loads with the section in it (a dict now; a ModelCardSpec once
    # the gate schema uses it)
    card = load_gate(DEMO).model_card
    assert validate_card_spec(card) == spec


def test_empty_and_missing_sections_are_valid_and_everything_is_missing():
    for data in (None, {}):
        spec = validate_card_spec(data)
        assert spec == ModelCardSpec()
        assert [p for p, _ in missing_fields(spec)] == [p for p, _ in EXPECTED_FIELDS]


def test_unknown_keys_are_errors_with_their_key_path():
    with pytest.raises(ConfigError) as err:
        validate_card_spec({"model_details": {"licence": "MIT"}, "intended_uses": {}})
    text = str(err.value)
    assert "model_card.model_details.licence: unknown key" in text
    assert "model_card.intended_uses: unknown key" in text
    assert "docs/model-card.md" in text


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"model_details": {"version": 1.1}}, "model_card.model_details.version", "quoted"),
        (
            {"model_details": {"references": ["https://a.example/x", "see the paper"]}},
            "model_card.model_details.references[1]",
            "absolute URI",
        ),
        (
            {"training_data": {"link": "javascript:alert(1)"}},
            "model_card.training_data.link",
            "absolute URI",
        ),
        (
            {"model_details": {"license": {"identifier": "MIT", "custom_text": "mine"}}},
            "model_card.model_details.license",
            "exactly one",
        ),
        ({"model_details": {"owners": [{"contact": "x@y"}]}}, "owners[0].name", "missing"),
        ({"model_details": {"date": "last tuesday"}}, "model_card.model_details.date", "date"),
        ({"intended_use": {"primary_uses": "one string"}}, "primary_uses", "list"),
    ],
)
def test_bad_values_name_the_key_path_and_what_was_expected(data, path, words):
    with pytest.raises(ConfigError) as err:
        validate_card_spec(data)
    assert path in str(err.value)
    assert words in str(err.value)


def test_a_section_that_is_not_a_mapping_is_an_error():
    with pytest.raises(ConfigError, match="model_card: expected a mapping"):
        validate_card_spec(["name"])  # type: ignore[arg-type]


def test_plain_strings_are_shorthands_for_the_main_field():
    spec = validate_card_spec(
        {
            "model_details": {
                "owners": ["Team A"],
                "license": "MIT",
                "citations": ["Doe 2024"],
            },
            "considerations": {"ethical_considerations": ["Privacy"]},
        }
    )
    assert spec.model_details.owners[0].name == "Team A"
    assert spec.model_details.owners[0].contact is None
    assert spec.model_details.license.identifier == "MIT"
    assert spec.model_details.citations[0].citation == "Doe 2024"
    assert spec.considerations.ethical_considerations[0].name == "Privacy"


def test_dataset_references_are_checked_against_the_gates_datasets():
    data = {"training_data": {"dataset": "train"}}
    validate_card_spec(data)  # without the gate's names there is nothing to check against
    with pytest.raises(ConfigError) as err:
        validate_card_spec(data, datasets=["reference", "evaluation"])
    assert "model_card.training_data.dataset" in str(err.value)
    assert "'train'" in str(err.value) and "['evaluation', 'reference']" in str(err.value)


def test_to_json_round_trips_and_writes_dates_as_iso_text():
    spec = validate_card_spec(
        {"model_details": {"name": "m", "date": dt.date(2024, 5, 1), "owners": ["A"]}}
    )
    data = spec.to_json()
    assert data == {"model_details": {"name": "m", "date": "2024-05-01", "owners": [{"name": "A"}]}}
    assert validate_card_spec(data) == spec
    assert yaml.safe_load(yaml.safe_dump(data)) == data


def test_the_spec_is_immutable():
    spec = validate_card_spec({"model_details": {"name": "m"}})
    with pytest.raises(Exception, match="frozen"):
        spec.model_details.name = "other"  # type: ignore[misc]


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        out.append(prefix + name)
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _keys(ann, prefix + name + ".")
    return out


def test_every_key_of_the_section_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", text))
    undocumented = [k for k in _keys(ModelCardSpec) if k.rsplit(".", 1)[-1] not in documented]
    assert undocumented == []


def test_expected_fields_exist_in_the_spec():
    spec = ModelCardSpec()
    for path, label in EXPECTED_FIELDS:
        assert spec_value(spec, path) in (None, []), path
        assert label
