"""Building the card from a result document: what is filled automatically, what is listed as
missing, and that odd documents never crash it."""

from __future__ import annotations

import copy
import json

import pytest

from mlgate.core.errors import ConfigError, ResultError
from mlgate.report.card import build_card, card_html, card_json, card_markdown, write_cards


def _metric_checks(result):
    return [c for c in result["checks"] if c["kind"] == "metric"]


def test_metrics_come_from_the_result_with_their_intervals(demo_result):
    card = build_card(demo_result)
    expected = _metric_checks(demo_result)
    assert len(card.metrics) == len(expected) == 8
    for row, check in zip(card.metrics, expected, strict=True):
        assert (row.check_id, row.metric, row.value) == (
            check["id"],
            check["metric"],
            check["value"],
        )
        assert row.interval == check["interval"]
        assert row.threshold == check["threshold"]
        assert row.stages == tuple(check["stages"])
        assert row.model == check["evidence"]["model"]
    assert {r.model for r in card.metrics} == {"candidate", "champion"}
    # metric thresholds and the baseline use the bootstrap; the champion check reports its
    # headline metric (ROC AUC) with DeLong's paired interval
    assert card.interval_methods() == ("95% bootstrap-percentile", "95% delong-paired")


def test_model_data_and_verdicts_are_filled_from_the_result(demo_result):
    card = build_card(demo_result)
    cand = demo_result["models"]["candidate"]
    assert card.candidate.cls == cand["class"] == "sklearn.pipeline.Pipeline"
    assert card.candidate.identity == cand["identity"]
    params = dict(card.candidate.params)
    assert "LogisticRegression(max_iter=2000, random_state=0)" in params["steps"]
    assert [m.role for m in card.other_models] == ["champion"]
    ev = demo_result["datasets"]["evaluation"]
    (data,) = card.evaluation_data
    assert (data.role, data.rows, data.fingerprint) == ("evaluation", 228, ev["fingerprint"])
    assert len(data.features) == 30 and data.label == "target"
    # the demo's card names the training split, which the baseline check fits on
    assert card.training_data.role == "reference" and card.training_data.loaded
    assert card.training_data.rows == 341
    assert [(s.name, s.verdict) for s in card.stages] == [
        (s["name"], s["verdict"]) for s in demo_result["stages"]
    ]
    assert card.verdict == demo_result["verdict"] == "promote"
    assert card.name == "breast-cancer-logreg" and card.title == "Model card: breast-cancer-logreg"


def test_the_demo_lists_exactly_the_fields_its_section_leaves_out(demo_result):
    card = build_card(demo_result)
    assert [p for p, _ in card.missing] == [
        "model_details.date",
        "model_details.fairness_constraints",
        "considerations.tradeoffs",
    ]
    md, html = card_markdown(demo_result), card_html(demo_result)
    for path, label in card.missing:
        assert f"model_card.{path}" in md and f"model_card.{path}" in html
        assert label in md and label in html


def test_without_a_model_card_section_nothing_is_invented(result):
    del result["model_card"]
    card = build_card(result)
    # everything people should fill is missing, except the architecture the model's class gives
    paths = [p for p, _ in card.missing]
    assert "model_details.architecture" not in paths
    assert {"intended_use.out_of_scope_uses", "model_details.license"} <= set(paths)
    assert card.architecture == "sklearn.pipeline.Pipeline"
    assert card.name == result["gate"]["name"]  # the title falls back to the gate's name
    doc = card_json(result)
    assert "licenses" not in doc["model_details"] and "owners" not in doc["model_details"]
    assert "considerations" not in doc
    md = card_markdown(result)
    assert "license:" not in md.split("\n---\n")[0]
    missing_table = md.split("## Missing information")[1]
    assert all(f"model_card.{p}" in missing_table for p in paths)
    # inline too, except the two the run half-fills (measures and thresholds the gate used)
    assert md.count("*missing*") == len(paths) - 2


def test_without_a_candidate_the_architecture_is_missing_too(result):
    del result["model_card"]
    del result["models"]["candidate"]
    card = build_card(result)
    assert card.candidate is None and card.architecture is None
    assert "model_details.architecture" in [p for p, _ in card.missing]
    assert "The candidate model was not loaded in this run." in card_markdown(result)


def test_each_check_kind_lands_in_its_section(kinds_result):
    card = build_card(kinds_result)
    sections = {title: [c.check_id for c in checks] for title, checks in card.sections}
    assert sections == {
        "Per-slice and intersectional analysis": ["slice-accuracy"],
        "Calibration": ["ece"],
        "Baselines": ["baseline-accuracy", "beats-majority"],
        "Champion comparison and regression": ["non-inferior-to-champion", "vs-champion"],
        "Drift": ["feature-drift"],
    }
    (slice_check,) = card.sections[0][1]
    # the per-slice analyses come from the Bars over="slice", with their intervals
    assert [(m.quantity, m.slice, m.value, m.low, m.high) for m in slice_check.slice_metrics] == [
        ("accuracy", "sex=female", 0.91, 0.85, 0.95),
        ("accuracy", "sex=male", 0.87, 0.8, 0.92),
        ("accuracy", "sex=female & age<40", 0.83, None, None),
        ("accuracy", "sex=male & age<40", 0.9, None, None),
    ]
    md = card_markdown(kinds_result)
    for text in (
        "| sex=female | 0.91 | \\[0.85, 0.95\\] |",  # the bars' table, intervals joined
        "| sex=female &amp; age&lt;40 | 0.83 | 31 |",
        "| mean radius | ks | 0.05 | 0.7 |",
    ):
        assert text in md, text
    assert "Not measured in this run" not in md.split("## Quantitative analyses")[1].split("##")[0]


def test_sections_without_checks_say_they_were_not_measured(demo_result):
    md = card_markdown(demo_result)
    assert "Not measured in this run: no slice or fairness check ran." in md
    assert "Not measured in this run: no drift or backtest check ran." in md


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.clear(),
        lambda r: r.update(checks="not a list", stages=None, models=[], datasets=5),
        lambda r: r["checks"].append(["not", "a", "check"]),
        lambda r: r["checks"][0].update(value="high", interval={"low": None}, stages="staging"),
        lambda r: r["checks"][0].update(evidence=[1, 2, 3]),
        lambda r: r["checks"][0].update(evidence="text"),
        lambda r: r["checks"][0].update(kind=None, id=None, metric=None),
        lambda r: r["models"]["candidate"].update(params={"w": [[1, [2, {"a": None}]]]}),
        lambda r: r["datasets"]["evaluation"].update(rows="many", features=None),
        lambda r: r["stages"][0].update(counts={"passed": "x"}, reasons=None),
    ],
)
def test_odd_documents_render_without_crashing(result, mutate):
    mutate(result)
    assert card_markdown(result).startswith("---\n")
    assert card_html(result).startswith("<!DOCTYPE html>")
    assert card_json(result)["schema_version"] == "0.0.2"


def test_a_result_that_is_not_a_mapping_is_a_result_error():
    with pytest.raises(ResultError, match="got list"):
        build_card([])  # type: ignore[arg-type]


def test_an_invalid_model_card_in_the_result_names_its_key_path(result):
    result["model_card"]["model_details"]["licence"] = "MIT"
    with pytest.raises(ConfigError, match=r"model_card\.model_details\.licence: unknown key"):
        build_card(result)


def test_the_card_never_modifies_the_result(kinds_result):
    before = copy.deepcopy(kinds_result)
    card_markdown(kinds_result), card_html(kinds_result), card_json(kinds_result)
    assert kinds_result == before


def test_same_result_gives_the_same_bytes(demo_result, tmp_path):
    reread = json.loads(json.dumps(demo_result))
    a = write_cards(demo_result, tmp_path / "a")
    b = write_cards(reread, tmp_path / "b")
    for key in ("markdown", "json", "html"):
        assert a[key].read_bytes() == b[key].read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "model_card.html",
        "model_card.json",
        "model_card.md",
    ]


def test_only_the_results_timestamps_appear_in_the_card(result):
    result["run"]["finished_at"] = "2031-07-08T09:10:11+00:00"
    md, html = card_markdown(result), card_html(result)
    assert "2031-07-08T09:10:11+00:00" in md and "2031-07-08T09:10:11+00:00" in html
    changed = copy.deepcopy(result)
    changed["run"]["finished_at"] = "2032-01-01T00:00:00+00:00"
    assert card_markdown(changed).replace("2032-01-01T00:00:00", "2031-07-08T09:10:11") == md
