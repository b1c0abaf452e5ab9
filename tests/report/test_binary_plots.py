"""The ROC and precision–recall curves and the confusion matrix of binary metric checks in
every rendering: drawn in the HTML report (with the bound where one applies) and in the model
card's key plots, tabled in the Markdown summary, class names escaped everywhere, and
result.json kept small."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.core.context import GateContext
from mlgate.core.result import jsonable
from mlgate.report import evidence as ev
from mlgate.report.card import card_html, card_markdown
from mlgate.report.html import render_html
from mlgate.report.markdown import render_summary
from mlgate.report.result_json import dumps

DOC = Path(__file__).parent / "data" / "result.json"
NO, YES = "<b>no</b>", "yes & sure"


@pytest.fixture(scope="module")
def checks() -> dict[str, dict]:
    """roc_auc, recall (min 0.5) and accuracy of a logistic regression whose classes are
    hostile text, as result.json holds them."""
    rng = np.random.default_rng(0)
    n = 3000
    y = rng.integers(0, 2, size=n)
    frame = pd.DataFrame({"x": y + rng.normal(scale=1.2, size=n)})
    labels = np.where(y == 1, YES, NO)
    model = LogisticRegression().fit(frame, labels)
    frame["y"] = labels
    ctx = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="y"
    )
    out = {}
    for metric, bound in (("roc_auc", 0.6), ("recall", 0.5), ("accuracy", 0.6)):
        r = METRIC_THRESHOLD(ctx, metric=metric, min=bound, n_resamples=100)
        d = json.loads(json.dumps(jsonable(r.to_dict())))
        d |= {"stages": ["staging", "production"], "severity": "block"}
        out[metric] = d
    out["_truth"] = {"y": labels, "pred": model.predict(frame[["x"]])}
    return out


@pytest.fixture
def doc(checks) -> dict:
    doc = json.loads(DOC.read_text())
    doc["checks"] = [copy.deepcopy(checks[m]) for m in ("roc_auc", "recall", "accuracy")]
    return doc


def test_the_matrix_is_scikit_learns_in_result_json(checks):
    m = checks["accuracy"]["evidence"]["confusion_matrix"]
    assert m["type"] == "matrix" and m["labels"] == [NO, YES]
    ref = confusion_matrix(checks["_truth"]["y"], checks["_truth"]["pred"], labels=[NO, YES])
    assert m["counts"] == ref.tolist()
    assert checks["recall"]["evidence"]["confusion_matrix"] == m


def test_the_html_report_draws_the_curves_the_matrix_and_the_recall_bound(doc):
    html = render_html(doc)
    assert "ROC curve (area" in html and "precision–recall curve (average" in html
    # the matrix: a vector grid (no raster image) with its counts, and its table folded
    assert "<image" not in html
    m = doc["checks"][2]["evidence"]["confusion_matrix"]
    assert "actual \\ predicted" in html
    (matrix,) = [i for i in ev.items(doc["checks"][2]["evidence"]) if i.type == "matrix"]
    texts = re.findall(r"<text[^>]*>(.*?)</text>", ev.figure(matrix).svg, re.S)
    for row in m["counts"]:
        share = [f"{c / sum(row):.0%}" for c in row]
        for c, p in zip(row, share, strict=True):
            assert str(c) in texts and p in texts  # each cell: its count and its row share
    # class names from the data are text, never markup
    assert "<b>no</b>" not in html and "&lt;b&gt;no&lt;/b&gt;" in html
    assert "yes &amp; sure" in html


def test_the_recall_bound_is_drawn_on_the_pr_curve(doc):
    check = doc["checks"][1]
    (pr,) = [i for i in ev.items(check["evidence"]) if i.key == "pr_curve"]
    bounds = ev.block_bounds(check, pr.block)
    assert [(b.op, b.value, b.axis) for b in bounds] == [(">=", 0.5, "x")]  # vertical
    assert "need ≥ 0.5" in ev.figure(pr, check).svg
    assert "need ≥ 0.5" not in ev.figure(pr).svg  # without its check, no bound


def test_a_bound_on_the_area_draws_no_line_on_the_curve(doc):
    (roc,) = [i for i in ev.items(doc["checks"][0]["evidence"]) if i.key == "roc_curve"]
    fig = ev.figure(roc, doc["checks"][0])
    assert fig is not None and "need ≥" not in fig.svg


def test_the_markdown_summary_tables_the_matrix(doc):
    doc = copy.deepcopy(doc)
    doc["checks"][2]["status"] = "failed"  # the summary shows the evidence of failures
    text = render_summary(doc)
    block = text.split("**confusion_matrix** (matrix)")[1]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")][:4]
    m = doc["checks"][2]["evidence"]["confusion_matrix"]
    assert lines[0].startswith("| actual \\\\ predicted |")
    assert lines[2].endswith(f"| {m['counts'][0][0]} | {m['counts'][0][1]} |")
    assert "<b>" not in text


def test_the_card_draws_each_key_plot_once(doc):
    html = card_html(doc)
    key = html.split('<section id="key-plots">')[1].split("</section>")[0]
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", key)
    # recall and accuracy share one confusion matrix: drawn once
    assert [c.split(":")[0] for c in captions] == ["roc_auc", "recall", "recall"]
    assert "Roc curve" in captions[0] or "ROC curve" in captions[0]
    assert "<b>no</b>" not in html
    assert "### Key plots" in card_markdown(doc)


def test_curves_keep_result_json_small(doc):
    for c in doc["checks"]:
        for v in c["evidence"].values():
            if isinstance(v, dict) and v.get("type") == "curve":
                assert len(v["x"]) <= 200
    assert len(dumps(doc)) < len(dumps({**doc, "checks": []})) + 40_000


def test_same_result_same_report_bytes(doc):
    assert render_html(doc) == render_html(copy.deepcopy(doc))
    assert card_html(doc) == card_html(copy.deepcopy(doc))
