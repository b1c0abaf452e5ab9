"""``seeds:`` on a check: the check runs once per seed and the worst result decides."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold
from mlgate.core.runner import run_gate
from mlgate.core.seeds import combine


def gate_file(tmp_path, check=""):
    y = np.arange(400) % 2
    # Right on 364 of 400 rows (91%): the bootstrap interval of accuracy straddles 0.9, and
    # its ends move with the seed.
    wrong = np.random.default_rng(3).choice(400, size=36, replace=False)
    pred = y.copy()
    pred[wrong] = 1 - pred[wrong]
    pd.DataFrame({"pred": pred, "y": y}).to_csv(tmp_path / "eval.csv", index=False)
    module = "seed_models_" + re.sub(r"\W", "_", tmp_path.name)  # Python caches by name
    (tmp_path / f"{module}.py").write_text(
        "import numpy as np\ndef echo():\n    return lambda X: np.asarray(X['pred'])\n"
    )
    path = tmp_path / "mlgate.yaml"
    path.write_text(
        "name: seeds\ntask: binary\n"
        f"models: {{candidate: {{factory: '{module}:echo', classes: [0, 1]}}}}\n"
        "datasets: {evaluation: {path: eval.csv, label: y}}\n"
        "stages:\n  staging:\n    checks:\n"
        f"      - {{check: metric_threshold, metric: accuracy, min: 0.85, n_resamples: 40"
        f"{', ' + check if check else ''}}}\n"
    )
    return path


def test_each_seed_runs_as_the_gate_would_at_that_seed(tmp_path):
    path = gate_file(tmp_path, check="seeds: [0, 7, 11]")
    combined = run_gate(path).results[0]
    table = combined.evidence["seeds"]
    assert [row["seed"] for row in table.rows] == [0, 7, 11]
    (tmp_path / "plain").mkdir()
    plain = gate_file(tmp_path / "plain")
    ends = []
    for seed in (0, 7, 11):
        alone = run_gate(plain, seed=seed).results[0]
        part = next(p for p in combined.parts if p.name.startswith(f"seed {seed}:"))
        assert part.interval == alone.interval  # the same bootstrap as a run at that seed
        assert part.status is alone.status
        ends.append((alone.interval.low, alone.interval.high))
    assert len(set(ends)) > 1  # the seed reached the check: different bootstraps
    assert combined.status is Status.worst(combined.parts)


def test_the_worst_seed_decides_and_is_named():
    bound = Threshold(">=", 0.8)
    ok = CheckResult.from_parts(
        "m", [Part("auc", Status.PASSED, 0.9, Interval(0.85, 0.95, 0.95, "t"), bound)]
    )
    bad = CheckResult.from_parts(
        "m", [Part("auc", Status.FAILED, 0.7, Interval(0.65, 0.75, 0.95, "t"), bound)]
    )
    errored = CheckResult(check_id="?", kind="m", status=Status.ERROR, message="boom")
    result = combine("m", [(1, ok), (2, errored), (3, bad)])
    assert result.status is Status.FAILED  # a failure outranks an error (Status.worst)
    assert result.value == 0.7 and result.message.startswith("seed 3 (worst of 3)")
    assert [p.name for p in result.parts] == ["seed 1: auc", "seed 2: m", "seed 3: auc"]
    # A result without parts keeps its status but offers no bound to re-judge.
    assert result.parts[1].threshold is None
    assert result.rejudged("lenient").status is Status.FAILED


def test_a_lenient_rule_cannot_pass_a_seed_that_had_no_bound():
    inconclusive = CheckResult(check_id="?", kind="m", status=Status.INCONCLUSIVE, message="?")
    assert combine("m", [(0, inconclusive)]).rejudged("point").status is Status.INCONCLUSIVE


@pytest.mark.parametrize(
    ("seeds", "problem"),
    [("[]", "seeds"), ("[1, 1]", "repeat"), ("[-1]", "seeds"), ("['a']", "seeds")],
)
def test_bad_seeds_are_gate_file_errors(tmp_path, seeds, problem):
    with pytest.raises(ConfigError, match=problem):
        open_gate(gate_file(tmp_path, check=f"seeds: {seeds}"))
