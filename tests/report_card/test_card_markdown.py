"""The Markdown card: a Hugging Face-style YAML header with ``model-index`` results, and a
body whose text is escaped."""

from __future__ import annotations

import yaml

from mlgate.report.card import card_markdown
from mlgate.report.card.markdown import md


def _split(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    header, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(header), body


def test_header_is_yaml_with_model_index_results_from_the_candidates_metrics(demo_result):
    meta, _ = _split(card_markdown(demo_result))
    assert meta["license"] == "apache-2.0"
    assert meta["library_name"] == "sklearn"
    assert meta["tags"][:3] == ["mlgate", "model-card", "tabular-classification"]
    assert {"tabular", "breast-cancer", "demo"} <= set(meta["tags"])
    (entry,) = meta["model-index"]
    assert entry["name"] == "breast-cancer-logreg"
    (res,) = entry["results"]
    assert res["task"] == {"type": "tabular-classification", "name": "Binary classification"}
    assert res["dataset"] == {"name": "evaluation", "type": "evaluation"}
    # each candidate metric once, in check order, with the exact value from the result
    expected = {}
    for c in demo_result["checks"]:
        if c["kind"] == "metric" and c["evidence"]["model"] == "candidate":
            expected.setdefault(c["metric"], c)
    assert [m["type"] for m in res["metrics"]] == list(expected)
    for m in res["metrics"]:
        check = expected[m["type"]]
        assert m["value"] == check["value"]
        low = f"{check['interval']['low']:.4g}"
        assert m["name"] == f"{m['type']} (95% CI {low} to {check['interval']['high']:.4g})"
    # the champion's accuracy (0.9035) is not the candidate's result
    champion = next(c for c in demo_result["checks"] if c["id"] == "champion-accuracy")
    assert champion["value"] not in [m["value"] for m in res["metrics"]]


def test_a_regression_gate_is_a_tabular_regression_task(result):
    result["gate"]["task"] = "regression"
    meta, _ = _split(card_markdown(result))
    assert meta["model-index"][0]["results"][0]["task"] == {
        "type": "tabular-regression",
        "name": "Regression",
    }


def test_metrics_on_several_datasets_give_one_result_each(result):
    extra = [dict(c) for c in result["checks"][:2]]
    for c in extra:
        c["evidence"] = {**c["evidence"], "dataset": "recent"}
        c["value"] = 0.5
    result["checks"] += extra
    meta, _ = _split(card_markdown(result))
    results = meta["model-index"][0]["results"]
    assert [r["dataset"]["name"] for r in results] == ["evaluation", "recent"]
    assert [m["value"] for m in results[1]["metrics"]] == [0.5, 0.5]


def test_the_body_has_the_papers_sections_in_order(demo_result):
    _, body = _split(card_markdown(demo_result))
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Summary",
        "## Model details",
        "## Intended use",
        "## Factors",
        "## Metrics",
        "## Gate verdict",
        "## Evaluation data",
        "## Training data",
        "## Quantitative analyses",
        "## Ethical considerations",
        "## Caveats and recommendations",
        "## Missing information",
    ]
    first = demo_result["checks"][0]
    low, high = (f"{first['interval'][k]:.4g}" for k in ("low", "high"))
    value = f"{first['value']:.4g}"
    row = f"| staging | candidate | evaluation | accuracy | {value} | \\[{low}, {high}\\] |"
    assert row in body


def test_markdown_text_is_escaped():
    assert md("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert md("a|b") == "a\\|b"
    assert md("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert md("*bold* `code`") == "\\*bold\\* \\`code\\`"
    assert md("# title") == "\\# title"
    assert md("- item") == "\\- item" and md("1. item") == "1\\. item"
    assert md("two\nlines") == "two lines"
    # identifiers stay readable
    assert md("roc_auc") == "roc_auc" and md("0.9737") == "0.9737"
    assert md("_private_") == "\\_private\\_"
