"""shadow: agreement, score distance, error rate and latency ratio judged on always-valid
intervals, from logs whose answer is known; its evidence; bad logs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.online.shadow import SHADOW
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Status
from mlgate.stats.sequential import bernoulli_sequence, quantile_sequence

LATENCY = {"candidate_latency": "candidate_ms", "champion_latency": "champion_ms"}


def run(ctx_of, log, **params):
    params.setdefault("dataset", "shadow")
    return SHADOW(ctx_of(shadow=log), **params)


def test_agreement_is_judged_on_its_rate_sequence(ctx_of, shadow_log):
    log = shadow_log(agreement=0.97, error_rate=0.0)
    r = run(ctx_of, log, min_agreement=0.95)
    agree = int((log.candidate_output == log.champion_output).sum())
    assert r.value == pytest.approx(agree / len(log))
    ref = bernoulli_sequence(agree, len(log), 0.95)
    assert (r.interval.low, r.interval.high) == (ref.low, ref.high)
    assert r.status is Status.PASSED, r.message
    assert run(ctx_of, log, min_agreement=0.99).status is Status.FAILED
    assert run(ctx_of, log, min_agreement=0.97).status is Status.INCONCLUSIVE


def test_few_requests_never_pass(ctx_of, shadow_log):
    r = run(ctx_of, shadow_log(n=30, agreement=1.0, error_rate=0.0), min_agreement=0.95)
    assert r.status is Status.INCONCLUSIVE  # 30 of 30 agree, but 30 requests prove little


def test_score_distance(ctx_of, shadow_log):
    log = shadow_log(error_rate=0.0)
    scores = {"champion": "champion_score", "candidate": "candidate_score"}
    r = run(ctx_of, log, max_distance=0.03, **scores)
    d = (log.candidate_score - log.champion_score).abs()
    assert r.value == pytest.approx(d.mean())
    assert r.status is Status.PASSED and r.interval.low < d.mean() < r.interval.high
    assert run(ctx_of, log, max_distance=0.01, **scores).status is Status.FAILED
    worst = r.evidence["worst_disagreements"].rows
    assert worst[0]["distance"] == pytest.approx(d.max(), abs=1e-6)


def test_error_rate(ctx_of, shadow_log):
    log = shadow_log(error_rate=0.02)
    r = run(ctx_of, log, candidate_error="candidate_failed", max_error_rate=0.05)
    assert r.status is Status.PASSED
    held = run(ctx_of, log, candidate_error="candidate_failed", max_error_rate=0.005)
    assert held.status is Status.FAILED and "candidate error rate" in held.message
    # Failed requests are not compared (their output is missing) and are not a log problem.
    agree = run(ctx_of, log, candidate_error="candidate_failed", min_agreement=0.9)
    assert agree.sample_size == int((~log.candidate_failed).sum())


def test_error_flags_may_be_text(ctx_of, shadow_log):
    log = shadow_log(error_rate=0.02)
    log["why"] = np.where(log.candidate_failed, "timeout", "")
    a = run(ctx_of, log, candidate_error="why", max_error_rate=0.05)
    b = run(ctx_of, log, candidate_error="candidate_failed", max_error_rate=0.05)
    assert a.value == b.value


def test_latency_ratio_uses_the_quantile_sequences(ctx_of, shadow_log):
    log = shadow_log(n=20_000, error_rate=0.0, slowdown=1.5)
    r = run(ctx_of, log, max_latency_ratio=1.2, **LATENCY)
    assert r.status is Status.FAILED, r.message
    cand = quantile_sequence(np.sort(log.candidate_ms), 0.95, 0.975)
    champ = quantile_sequence(np.sort(log.champion_ms), 0.95, 0.975)
    assert r.interval.low == pytest.approx(cand.low / champ.high)
    assert r.interval.high == pytest.approx(cand.high / champ.low)
    assert r.value == pytest.approx(
        np.quantile(log.candidate_ms, 0.95) / np.quantile(log.champion_ms, 0.95)
    )
    fine = run(ctx_of, shadow_log(n=20_000, error_rate=0.0), max_latency_ratio=1.2, **LATENCY)
    assert fine.status is Status.PASSED, fine.message
    table = fine.evidence["latency"].rows
    assert [row["percentile"] for row in table] == ["p50", "p90", "p95", "p99"]


def test_latency_ratio_coverage_when_both_models_are_equally_fast(shadow_log):
    """60 seeded shadow logs looked at every 500 requests: the ratio's interval keeps 1."""
    from mlgate.checks.online.latency import ratio_interval

    missed = 0
    for seed in range(60):
        log = shadow_log(n=5_000, seed=seed, error_rate=0.0)
        for n in range(500, 5_001, 500):
            c = quantile_sequence(np.sort(log.candidate_ms[:n]), 0.95, 0.975)
            h = quantile_sequence(np.sort(log.champion_ms[:n]), 0.95, 0.975)
            ci = ratio_interval(c, h, 0.95)
            if not ci.low <= 1.0 <= ci.high:
                missed += 1
                break
    assert missed <= 3 + 3 * math.sqrt(60 * 0.05)


def test_disagreement_by_slice_and_worst_examples(ctx_of, shadow_log):
    log = shadow_log(error_rate=0.0)
    r = run(ctx_of, log, min_agreement=0.9, slices=["country"], examples=4)
    bars = r.evidence["by_slice"]
    assert bars.over == "slice" and bars.labels == ("country=de", "country=fr", "country=us")
    de = log[log.country == "de"]
    assert bars.values[0] == pytest.approx(
        (de.candidate_output == de.champion_output).mean(), abs=1e-6
    )
    worst = r.evidence["worst_disagreements"]
    assert worst.type == "examples" and len(worst.rows) == 4
    assert all(row["champion_output"] != row["candidate_output"] for row in worst.rows)


def test_wilson_is_inside_the_sequence(ctx_of, shadow_log):
    """The price of looking at any time: the sequence holds the fixed-n Wilson interval."""
    log = shadow_log(n=2_000, error_rate=0.0)
    r = run(ctx_of, log, min_agreement=0.9)
    k = int((log.candidate_output == log.champion_output).sum())
    ref = stats.binomtest(k, len(log)).proportion_ci(0.95, method="wilson")
    assert r.interval.low < ref.low and ref.high < r.interval.high


# -- bad logs and parameters -------------------------------------------------------------------
def test_duplicate_request_ids_hold_with_the_first_ids(ctx_of, shadow_log):
    log = shadow_log(n=1_000, error_rate=0.0)
    log = pd.concat([log, log.iloc[[3, 5]]], ignore_index=True)
    r = run(ctx_of, log, min_agreement=0.5)
    assert r.status is Status.ERROR
    assert "2 request id(s) appear more than once" in r.message and "'r0-3'" in r.message


def test_missing_outputs_without_an_error_flag_hold(ctx_of, shadow_log):
    log = shadow_log(n=1_000, error_rate=0.01)
    r = run(ctx_of, log, min_agreement=0.5)  # no candidate_error column given
    assert r.status is Status.ERROR
    assert "lack an output of 'candidate_output'" in r.message
    ok = run(ctx_of, log, min_agreement=0.5, candidate_error="candidate_failed")
    assert ok.status is Status.PASSED


def test_a_missing_column_names_the_parameter(ctx_of, shadow_log):
    with pytest.raises(DataError, match=r"no column 'cand_ms' \(parameter 'candidate_latency'\)"):
        run(
            ctx_of,
            shadow_log(n=200),
            max_latency_ratio=1.2,
            candidate_latency="cand_ms",
            champion_latency="champion_ms",
        )


def test_non_numeric_scores_and_negative_latencies(ctx_of, shadow_log):
    log = shadow_log(n=200, error_rate=0.0)
    log["candidate_score"] = log.candidate_score.astype(object)
    log.loc[7, "candidate_score"] = "n/a"
    with pytest.raises(
        DataError, match=r"column 'candidate_score' must hold finite numbers.*'n/a'"
    ):
        run(ctx_of, log, max_distance=0.1, candidate="candidate_score", champion="champion_score")
    log = shadow_log(n=200, error_rate=0.0)
    log.loc[3, "candidate_ms"] = -1.0
    with pytest.raises(DataError, match=r"1 negative latenc\(ies\), first ids \['r0-3'\]"):
        run(ctx_of, log, max_latency_ratio=1.2, **LATENCY)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "give at least one bound"),
        ({"min_agreement": 0.9, "max_distance": 0.1}, "not both"),
        ({"max_error_rate": 0.1}, "needs 'candidate_error'"),
        ({"max_latency_ratio": 1.1}, "needs 'candidate_latency' and 'champion_latency'"),
        ({"min_agreement": 1.5}, "less than or equal to 1"),
        ({"min_agreement": 0.9, "dataset": "nope"}, "no dataset 'nope'"),
    ],
)
def test_bad_parameters(ctx_of, shadow_log, params, match):
    with pytest.raises(ConfigError, match=match):
        run(ctx_of, shadow_log(n=100), **params)
