"""interleaving: verdicts on logs with a known preference, the counts against a direct count,
the evidence, batches against one pass, and every bad parameter and bad log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.online.interleaving import INTERLEAVING
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Status
from mlgate.stats.sequential import bernoulli_sequence


def run(ctx_of, log, **params):
    params.setdefault("dataset", "logs")
    return INTERLEAVING(ctx_of(logs=log), **params)


def test_a_planted_preference_is_promoted(ctx_of, interleaving_log):
    r = run(ctx_of, interleaving_log(20_000, preference=0.56, seed=1))
    assert r.status is Status.PASSED, r.message
    assert r.message.startswith("promote: ") and r.evidence["decision"] == "promote"
    assert r.interval.low > 0.5 and r.threshold.op == ">=" and r.threshold.bound == 0.5
    assert r.interval.method == "beta-binomial confidence sequence"


def test_a_preference_for_the_champion_is_held(ctx_of, interleaving_log):
    r = run(ctx_of, interleaving_log(20_000, preference=0.44, seed=2))
    assert r.status is Status.FAILED and r.evidence["decision"] == "hold"
    assert r.interval.high < 0.5


def test_no_preference_keeps_collecting_with_the_impressions_needed(ctx_of, interleaving_log):
    r = run(ctx_of, interleaving_log(20_000, preference=0.5, seed=3))
    assert r.status is Status.INCONCLUSIVE, r.message
    assert r.evidence["decision"] == "keep collecting"
    assert r.interval.low < 0.5 < r.interval.high
    needed = r.evidence["impressions_needed"]
    assert needed is None or needed > 0
    assert "keep collecting" in r.message and "ties, left out" in r.message


def test_the_counts_and_statistics_match_a_direct_computation(ctx_of, interleaving_log):
    """Ties excluded; the share, the interval and the fixed test's p-value against SciPy and
    the sequence computed on the counts by hand."""
    log = interleaving_log(5_000, preference=0.53, seed=4)
    diff = log["candidate_credit"] - log["champion_credit"]
    wins, losses, ties = int((diff > 0).sum()), int((diff < 0).sum()), int((diff == 0).sum())
    seq = run(ctx_of, log)
    assert seq.sample_size == wins + losses
    assert seq.value == pytest.approx(wins / (wins + losses))
    ref = bernoulli_sequence(wins, wins + losses, 0.95)
    assert (seq.interval.low, seq.interval.high) == (ref.low, ref.high)
    table = {r["outcome"]: r["impressions"] for r in seq.evidence["impressions"].rows}
    assert table == {
        "candidate won": wins,
        "champion won": losses,
        "tie (left out)": ties,
        "log problem (left out)": 0,
    }
    fixed = run(ctx_of, log, test="fixed", confidence=0.9)
    scipy = stats.binomtest(wins, wins + losses, 0.5)
    ci = scipy.proportion_ci(0.9, method="wilson")
    assert (fixed.interval.low, fixed.interval.high) == pytest.approx((ci.low, ci.high))
    assert fixed.evidence["preference"]["p_value"] == pytest.approx(scipy.pvalue, rel=1e-5)
    assert "exact sign test" in fixed.message and "Wilson" in fixed.message


def test_a_minimum_preference_above_one_half(ctx_of, interleaving_log):
    log = interleaving_log(20_000, preference=0.56, seed=1)
    assert run(ctx_of, log, min_preference=0.52).status is Status.PASSED
    assert run(ctx_of, log, min_preference=0.6).status is Status.FAILED


def test_the_evidence_blocks(ctx_of, interleaving_log):
    d = run(ctx_of, interleaving_log(3_000, preference=0.6, seed=5)).to_dict()["evidence"]
    assert d["impressions"]["type"] == "table" and d["preference"]["test"] == "sequential"
    curve = d["confidence_sequence"]
    assert curve["type"] == "curve" and curve["x"][0] == 100 and curve["x"][-1] == 3_000
    widths = [h - lo for lo, h in zip(curve["low"], curve["high"], strict=True)]
    assert widths == sorted(widths, reverse=True)
    assert "log_problems" not in d


def test_a_batched_run_gives_the_same_result_as_one_pass(ctx_of, interleaving_log):
    log = interleaving_log(9_001, preference=0.52, seed=6)
    log.loc[17, "impression_id"] = log.loc[9_000, "impression_id"]
    whole = run(ctx_of, log)
    ctx = ctx_of(logs=log)
    ctx.batch_rows = 97
    assert INTERLEAVING(ctx, dataset="logs").to_dict() == whole.to_dict()
    assert INTERLEAVING.needs_all_rows is False


def test_boolean_credit_counts_as_zero_and_one(ctx_of):
    log = pd.DataFrame(
        {
            "impression_id": range(400),
            "candidate_credit": [True, False, False, False] * 100,
            "champion_credit": [False, True, False, True] * 100,
        }
    )
    r = run(ctx_of, log, test="fixed")
    assert (r.evidence["impressions"].rows[0]["impressions"], r.sample_size) == (100, 300)


def test_an_all_tie_log_is_inconclusive_never_a_pass(ctx_of):
    log = pd.DataFrame({"impression_id": range(50), "candidate_credit": 0, "champion_credit": 0})
    r = run(ctx_of, log)
    assert r.status is Status.INCONCLUSIVE and r.interval is None
    assert "no impression with a winner yet" in r.message


# -- bad parameters --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"min_preference": 1.0}, "min_preference"),
        ({"min_preference": 0}, "min_preference"),
        ({"test": "bayes"}, "'sequential' or 'fixed'"),
        ({"confidence": 1.0}, "confidence"),
        ({"max_missing": 0.9}, "max_missing"),
        ({"champion_credit": "candidate_credit"}, "must be three different columns"),
        ({"dataset": "nope"}, "no dataset 'nope'"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_config_errors_naming_the_key(ctx_of, interleaving_log, params, match):
    with pytest.raises(ConfigError, match=match):
        run(ctx_of, interleaving_log(300), **params)


# -- bad logs -------------------------------------------------------------------------------
def test_a_missing_column_names_the_parameter_and_the_columns(ctx_of, interleaving_log):
    log = interleaving_log(300).drop(columns="champion_credit")
    with pytest.raises(DataError, match=r"no column 'champion_credit' \(parameter 'champion_cr"):
        run(ctx_of, log)


def _problems(result) -> dict[str, str]:
    return {p.name: p.message for p in result.parts if p.name.startswith("log: ")}


def test_each_bad_row_is_reported_with_its_count_and_first_ids_and_holds(ctx_of, interleaving_log):
    log = interleaving_log(2_000, preference=0.7, seed=7)
    log["champion_credit"] = log["champion_credit"].astype(object)
    log.loc[[3, 5], "impression_id"] = log.loc[10, "impression_id"]  # q7-10 three times
    log.loc[[20, 21], "candidate_credit"] = -1
    log.loc[30, "champion_credit"] = "two"
    log.loc[31, "champion_credit"] = float("inf")
    log.loc[[40, 41, 42], "champion_credit"] = None
    log.loc[50, "impression_id"] = None
    r = run(ctx_of, log)
    assert r.status is Status.ERROR and r.evidence["decision"] == "hold"
    assert r.message.startswith("hold: ")
    got = _problems(r)
    assert got["log: repeated impression ids"].startswith("1 in dataset 'logs', first ['q7-10']")
    assert got["log: negative credit"].startswith("2 in dataset 'logs', first ['q7-20', 'q7-21']")
    assert got["log: credit that is not a number"].startswith("2 in dataset 'logs', first ['q7-30'")
    assert got["log: missing credit"].startswith("3 in dataset 'logs', first ['q7-40'")
    assert got["log: impressions without an id"].startswith("1 in dataset 'logs', first ['row 50']")
    # nothing dropped silently: the rows left out are counted
    table = {x["outcome"]: x["impressions"] for x in r.evidence["impressions"].rows}
    assert table["log problem (left out)"] == 2 + 2 + 3 + 1
    assert sum(table.values()) == 2_000
    assert len(r.evidence["log_problems"].rows) == 5


def test_a_text_column_of_credit_is_reported_not_dropped(ctx_of, interleaving_log):
    log = interleaving_log(500, seed=8)
    log["candidate_credit"] = "click"
    r = run(ctx_of, log)
    assert r.status is Status.ERROR
    assert _problems(r)["log: credit that is not a number"].startswith("500 in dataset")


def test_missing_credit_holds_unless_allowed(ctx_of, interleaving_log):
    log = interleaving_log(4_000, preference=0.6, seed=9).astype({"candidate_credit": float})
    log.loc[np.arange(0, 4_000, 100), "candidate_credit"] = np.nan  # 40 rows, 1%
    assert "log: missing credit" in _problems(run(ctx_of, log))
    allowed = run(ctx_of, log, max_missing=0.02)
    assert allowed.status is Status.PASSED, allowed.message
    rows = {x["outcome"]: x["impressions"] for x in allowed.evidence["impressions"].rows}
    assert rows["log problem (left out)"] == 40
