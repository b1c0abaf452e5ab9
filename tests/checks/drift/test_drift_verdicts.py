"""Known verdicts of the per-column drift rule (seeded simulations).

* no shift: the share of runs with any column flagged stays at or below alpha (+ sampling
  tolerance), by p-values alone and with the effect-size rule;
* a million rows per side: identical distributions never alarm, and a negligible shift that
  every p-value calls significant alarms only without the effect-size rule;
* a 0.2-SD mean shift in 2 of 25 columns at 5,000 rows per side is found, the other 23 are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.drift.table import DriftRule, compare_columns

ALPHA = 0.05


def table(rng, n: int, n_num: int, n_cat: int, shifts: dict[int, float] | None = None):
    shifts = shifts or {}
    cols = {f"x{j}": rng.normal(shifts.get(j, 0.0), 1.0, size=n) for j in range(n_num)}
    probs = np.array([0.4, 0.3, 0.2, 0.1])
    for j in range(n_cat):
        cols[f"c{j}"] = rng.choice(np.array(list("abcd"), dtype=object), p=probs, size=n)
    return pd.DataFrame(cols)


def flagged_columns(ref, cur, **rule) -> set[str]:
    return {c.column for c in compare_columns(ref, cur, DriftRule(**rule)) if c.drifted}


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["significance", "both"])
def test_no_shift_false_alarm_rate_at_most_alpha(rule):
    runs, alarms = 200, 0
    for seed in range(runs):
        rng = np.random.default_rng([7, seed])
        ref, cur = table(rng, 150, 8, 2), table(rng, 120, 8, 2)
        alarms += bool(flagged_columns(ref, cur, rule=rule, alpha=ALPHA))
    # BH under the global null controls the chance of any flag at alpha; 3 binomial SDs
    tolerance = 3 * np.sqrt(ALPHA * (1 - ALPHA) / runs)
    assert alarms / runs <= ALPHA + tolerance, f"{alarms} of {runs} runs alarmed"
    if rule == "significance":
        # the p-values are not wildly conservative either: some runs do alarm
        assert alarms >= 1


def test_million_rows_identical_distributions_do_not_alarm():
    rng = np.random.default_rng(11)
    ref, cur = table(rng, 1_000_000, 3, 1), table(rng, 1_000_000, 3, 1)
    cols = compare_columns(ref, cur, DriftRule())
    assert not [c.column for c in cols if c.drifted]
    assert all(c.effect_value < 0.01 for c in cols)


def test_million_rows_negligible_shift_alarms_only_on_p_values():
    rng = np.random.default_rng(12)
    ref = pd.DataFrame({"x": rng.normal(size=1_000_000)})
    cur = pd.DataFrame({"x": rng.normal(0.02, 1.0, size=1_000_000)})  # 0.02 SD
    (col,) = compare_columns(ref, cur, DriftRule())
    assert col.p_adjusted < 1e-6  # "significant"
    assert not col.drifted  # but far below 0.1 SD
    (col,) = compare_columns(ref, cur, DriftRule(rule="significance"))
    assert col.drifted


@pytest.mark.slow
def test_planted_shift_in_two_of_25_features_is_found():
    runs = 30
    found = {"x3": 0, "x11": 0}
    false_runs = 0
    for seed in range(runs):
        rng = np.random.default_rng([8, seed])
        ref = table(rng, 5000, 20, 5)
        cur = table(rng, 5000, 20, 5, shifts={3: 0.2, 11: 0.2})
        hits = flagged_columns(ref, cur)
        for name in found:
            found[name] += name in hits
        false_runs += bool(hits - set(found))
    for name, k in found.items():
        assert k / runs >= 0.9, f"{name} found in {k} of {runs} runs"
    # BH's false discovery rate bound: at most alpha·23/25 in expectation; 3 SDs of slack
    bound = ALPHA * 23 / 25 + 3 * np.sqrt(ALPHA * (1 - ALPHA) / runs)
    assert false_runs / runs <= bound, f"{false_runs} runs flagged an unshifted column"
