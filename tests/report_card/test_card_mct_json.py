"""The JSON card validates against the Model Card Toolkit v0.0.2 schema and holds only
fields that schema defines."""

from __future__ import annotations

import copy
import json
from urllib.parse import urlsplit

import pytest

from mlgate.report.card import card_json

jsonschema = pytest.importorskip("jsonschema")


def _validate(doc, schema):
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def _closed(schema):
    """The schema with ``additionalProperties: false`` on every object: a document valid
    against it uses only fields the format defines."""
    schema = copy.deepcopy(schema)

    def close(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def test_the_demo_card_validates_against_the_mct_schema(demo_result, mct_schema):
    doc = card_json(demo_result)
    _validate(doc, mct_schema)
    _validate(doc, _closed(mct_schema))
    json.dumps(doc, allow_nan=False)  # plain JSON


@pytest.mark.parametrize("fixture", ["kinds_result", "hostile_result"])
def test_cards_with_every_check_kind_validate(fixture, request, mct_schema):
    doc = card_json(request.getfixturevalue(fixture))
    _validate(doc, _closed(mct_schema))


def test_an_empty_result_gives_a_valid_card(mct_schema):
    doc = card_json({})
    _validate(doc, _closed(mct_schema))
    assert doc == {"schema_version": "0.0.2", "model_details": {"name": "unnamed gate"}}


def test_a_wrong_document_fails_the_schema_check(mct_schema):
    """The validation above can fail: a field of the wrong type is caught."""
    validator = jsonschema.Draft7Validator(mct_schema)
    bad = {"quantitative_analysis": {"performance_metrics": [{"type": "acc", "value": "high"}]}}
    assert list(validator.iter_errors(bad))
    assert list(jsonschema.Draft7Validator(_closed(mct_schema)).iter_errors({"x": {"y": 1}}))


def test_fields_are_mapped_from_the_result_and_the_section(demo_result):
    doc = card_json(demo_result)
    details = doc["model_details"]
    assert details["name"] == "breast-cancer-logreg"
    assert details["version"] == {"name": "1.0.0"}
    assert details["licenses"] == [{"identifier": "Apache-2.0"}]
    assert details["owners"] == [{"name": "mlgate demo team", "contact": "mlgate@example.org"}]
    for ref in details["references"]:
        parts = urlsplit(ref["reference"])  # the schema's "uri" format
        assert parts.scheme in ("http", "https") and parts.netloc
    perf = doc["quantitative_analysis"]["performance_metrics"]
    candidate = {}
    for c in demo_result["checks"]:
        if c["kind"] == "metric" and c["evidence"]["model"] == "candidate":
            candidate.setdefault(c["metric"], c["value"])
    assert {m["type"]: m["value"] for m in perf} == candidate
    data = doc["model_parameters"]["data"]
    assert [d["name"] for d in data] == [
        "Wisconsin Diagnostic Breast Cancer (training split)",
        "Wisconsin Diagnostic Breast Cancer (held-out split)",
    ]
    fp = demo_result["datasets"]["evaluation"]["fingerprint"]
    assert "228 rows" in data[1]["description"] and fp in data[1]["description"]
    cons = doc["considerations"]
    assert cons["use_cases"] == [
        {"description": "Demonstrating mlgate's gate, report and model card"}
    ]
    assert cons["ethical_considerations"][0]["name"] == "Medical use"
    # no field in v0.0.2 for these: they are in the Markdown/HTML card only
    text = json.dumps(doc)
    assert "Any clinical decision" not in text  # out-of-scope uses
    assert "Evaluate on data from the clinic" not in text  # recommendations


def test_slice_values_become_sliced_performance_metrics(kinds_result):
    perf = card_json(kinds_result)["quantitative_analysis"]["performance_metrics"]
    sliced = [(m["slice"], m["value"]) for m in perf if "slice" in m]
    assert sliced == [
        ("sex=female", 0.91),
        ("sex=male", 0.87),
        ("sex=female & age<40", 0.83),
        ("sex=male & age<40", 0.9),
    ]
    assert {"type": "ece", "value": 0.031} in perf
    # a drift statistic is not a performance metric
    assert not any(m["type"] == "feature-drift" for m in perf)


def test_a_model_date_is_written_in_the_schemas_date_format(result, mct_schema):
    result["model_card"]["model_details"]["date"] = "2024-05-01"
    doc = card_json(result)
    assert doc["model_details"]["version"] == {"name": "1.0.0", "date": "2024-05-01"}
    _validate(doc, mct_schema)
    broken = copy.deepcopy(doc)
    broken["model_details"]["version"]["date"] = "May 2024"
    validator = jsonschema.Draft7Validator(mct_schema, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(broken))  # the format check is live


def test_a_custom_license_is_written_as_custom_text(result, mct_schema):
    result["model_card"]["model_details"]["license"] = {"custom_text": "Internal use only."}
    doc = card_json(result)
    assert doc["model_details"]["licenses"] == [{"custom_text": "Internal use only."}]
    _validate(doc, mct_schema)
