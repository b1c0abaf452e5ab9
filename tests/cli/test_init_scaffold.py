"""``mlgate init`` scaffolds a working gate (issue 18): from a HistGradientBoosting model saved
with skops, a CSV with a label column, a champion and a reference, it writes a commented gate
whose bounds were measured by running each check, that ``mlgate validate`` accepts and that
promotes the model it was made from when run with ``pytest --mlgate``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from mlgate.cli import main
from mlgate.cli.scaffold_checks import METRIC_MARGIN, Proposal, round_out
from mlgate.core.decision import ExitCode
from mlgate.core.result import CheckResult, Status

TREE = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
FEATURES = ["x1", "x2", "grade"]


def _frame(n: int, seed: int) -> pd.DataFrame:
    """An interaction the trees learn and a linear champion cannot: y = [x1·x2 > 0] with
    15% of labels flipped; ``grade`` a category, ``customer`` an identifier."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = ((x1 * x2 > 0) ^ (rng.random(n) < 0.15)).astype(int)
    grade = rng.choice(["a", "b", "c"], size=n)
    return pd.DataFrame(
        {"x1": x1, "x2": x2, "grade": grade, "customer": [f"c{seed}-{i}" for i in range(n)], "y": y}
    )


def _pipeline(estimator):
    encode = ColumnTransformer(
        [("grade", OrdinalEncoder(), ["grade"]), ("num", "passthrough", ["x1", "x2"])],
        remainder="drop",
    )
    return make_pipeline(encode, estimator)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """Models and data as a user has them: an HGB candidate (.skops), a logistic-regression
    champion (.skops and .joblib), training and evaluation CSVs."""
    root = tmp_path_factory.mktemp("init_project")
    train, evaluation = _frame(800, 1), _frame(600, 2)
    train.to_csv(root / "train.csv", index=False)
    evaluation.to_csv(root / "eval.csv", index=False)
    hgb = _pipeline(HistGradientBoostingClassifier(max_iter=60, random_state=0))
    hgb.fit(train[FEATURES], train["y"])
    champion = _pipeline(LogisticRegression()).fit(train[FEATURES], train["y"])
    sio.dump(hgb, root / "hgb.skops")
    sio.dump(champion, root / "champion.skops")
    import joblib

    joblib.dump(champion, root / "champion.joblib")
    assert sio.get_untrusted_types(file=root / "hgb.skops") == [TREE]
    return root


def _init(project: Path, out: Path, *extra: str) -> int:
    return main(
        ["init", "--data", str(project / "eval.csv"), "--label", "y", "-o", str(out), *extra]
    )


@pytest.fixture(scope="module")
def scaffolded(project) -> Path:
    """The gate ``mlgate init`` writes from everything: candidate, champion, reference."""
    out = project / "gate" / "mlgate.yaml"
    code = _init(
        project,
        out,
        "--model",
        str(project / "hgb.skops"),
        "--champion",
        str(project / "champion.skops"),
        "--reference",
        str(project / "train.csv"),
        "--trust-type",
        TREE,
    )
    assert code == 0
    return out


def _checks(cfg: dict) -> dict[str, list[dict]]:
    return {stage: [c["check"] for c in spec["checks"]] for stage, spec in cfg["stages"].items()}


def test_the_gate_has_every_kind_of_check_the_data_allows(scaffolded):
    cfg = yaml.safe_load(scaffolded.read_text())
    assert _checks(cfg) == {
        "data": ["data_expectations", "drift"],
        "staging": ["metric_threshold"] * 3,
        "production": ["baseline", "champion", "calibration", "slices"],
    }
    assert cfg["models"] == {
        "candidate": {"path": "../hgb.skops", "trusted": [TREE]},
        "champion": {"path": "../champion.skops"},
    }
    assert cfg["datasets"]["evaluation"]["slices"] == ["grade"]  # not the identifier
    # the pipeline was fitted on x1, x2 and grade: the identifier is not one of its inputs
    assert cfg["datasets"]["reference"] == {
        "path": "../train.csv",
        "label": "y",
        "features": ["x1", "x2", "grade"],
    }
    columns = cfg["stages"]["data"]["checks"][0]["columns"]
    tolerance = columns["grade"].pop("tolerance")
    assert columns["grade"] == {"dtype": "string", "nullable": False, "values": ["a", "b", "c"]}
    # the inferred tolerance, as data_schema's: the 600 rows the rules were learnt from and a
    # share of the family-wise 5% (Bonferroni over the column rules)
    assert (tolerance["rows"], tolerance["nulls"], tolerance["values"]) == (600, 0, 600)
    assert 0 < tolerance["alpha"] < 0.05
    assert columns["x1"]["tolerance"]["alpha"] == tolerance["alpha"]
    assert "values" not in columns["customer"]  # 600 distinct values: an identifier
    assert "not sliced (too many values for a category): customer" in scaffolded.read_text()
    assert not any(c.get("severity") == "warn" for s in cfg["stages"].values() for c in s["checks"])


def test_every_line_is_commented(scaffolded):
    lines = scaffolded.read_text().splitlines()
    for before, line in zip(["#", *lines[:-1]], lines, strict=True):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert " # " in line or before.lstrip().startswith("#"), line


def test_thresholds_sit_a_stated_margin_below_the_candidate_s_own_metric(scaffolded, project):
    """Independent reference: scikit-learn's metrics of the same model on the same rows."""
    cfg = yaml.safe_load(scaffolded.read_text())
    bounds = {c["metric"]: c["min"] for c in cfg["stages"]["staging"]["checks"]}
    frame = pd.read_csv(project / "eval.csv")
    model = sio.load(project / "hgb.skops", trusted=[TREE])
    accuracy = accuracy_score(frame["y"], model.predict(frame[FEATURES]))
    auc = roc_auc_score(frame["y"], model.predict_proba(frame[FEATURES])[:, 1])
    # below the point estimate by the interval's half-width plus the margin; not vacuous
    assert accuracy - 0.12 < bounds["accuracy"] < accuracy - METRIC_MARGIN
    assert auc - 0.12 < bounds["roc_auc"] < auc - METRIC_MARGIN
    text = scaffolded.read_text()
    assert "bound = lower end" in text and f"− {METRIC_MARGIN}" in text


def test_validate_accepts_the_scaffolded_gate(scaffolded, capsys):
    assert main(["validate", str(scaffolded)]) == 0
    assert capsys.readouterr().out.strip().endswith(": valid")


def test_the_scaffolded_gate_promotes_the_model_it_was_made_from(scaffolded, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = tmp_path / "reports"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--mlgate",
            "--mlgate-file",
            str(scaffolded),
            "--mlgate-report-dir",
            str(out),
            "-p",
            "no:cacheprovider",
            "-q",
            str(scaffolded.parent),
        ],
        capture_output=True,
        text=True,
        cwd=scaffolded.parent,
        env=env,
        timeout=300,
    )
    assert run.returncode == ExitCode.PROMOTE, run.stdout[-3000:] + run.stderr[-3000:]
    doc = json.loads((out / "result.json").read_text())
    assert doc["verdict"] == "promote"
    assert {c["status"] for c in doc["checks"]} == {"passed"}
    assert len(doc["checks"]) == 9
    # The bound is the first run's own interval, less the margin: the scaffold measured
    # exactly what the run judges (same loader, seed and bootstrap streams).
    cfg = yaml.safe_load(scaffolded.read_text())
    bounds = {c["metric"]: c["min"] for c in cfg["stages"]["staging"]["checks"]}
    for check in doc["checks"]:
        if check["check"] == "metric_threshold":
            low = check["interval"]["low"]
            assert bounds[check["metric"]] == round_out(low - METRIC_MARGIN, up=False)


def test_an_untrusted_type_is_refused_naming_it_and_the_option(project, tmp_path, capsys):
    out = tmp_path / "g.yaml"
    assert _init(project, out, "--model", str(project / "hgb.skops")) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert f"--trust-type {TREE}" in err and "or --trust" in err
    assert not out.exists()


def test_trust_writes_the_types_it_found_not_trust_true(project, tmp_path, capsys):
    out = tmp_path / "g.yaml"
    assert _init(project, out, "--model", str(project / "hgb.skops"), "--trust") == 0
    assert f"holds 1 type(s) that skops does not trust by default: {TREE}" in (
        capsys.readouterr().err
    )
    cfg = yaml.safe_load(out.read_text())
    assert cfg["models"]["candidate"] == {
        "path": os.path.relpath(project / "hgb.skops", tmp_path),
        "trusted": [TREE],
    }


def test_a_pickle_needs_trust_and_then_says_so(project, tmp_path, capsys):
    out = tmp_path / "g.yaml"
    model = str(project / "champion.joblib")
    assert _init(project, out, "--model", model) == ExitCode.USAGE_ERROR
    assert "runs arbitrary code when loaded" in capsys.readouterr().err
    assert _init(project, out, "--model", model, "--trust") == 0
    cfg = yaml.safe_load(out.read_text())
    assert cfg["models"]["candidate"]["trust"] is True
    assert main(["validate", str(out)]) == 0


def test_an_existing_file_is_kept_without_force(project, tmp_path, capsys):
    out = tmp_path / "mlgate.yaml"
    out.write_text("mine\n")
    assert _init(project, out) == ExitCode.USAGE_ERROR
    assert "pass --force" in capsys.readouterr().err and out.read_text() == "mine\n"
    assert _init(project, out, "--force") == 0
    assert out.read_text() != "mine\n"


def test_a_check_that_does_not_pass_is_written_as_a_warning_with_its_finding():
    result = CheckResult(
        check_id="champion", kind="regression", status=Status.FAILED, message="worse by 0.04"
    )
    proposal = Proposal({"check": "champion", "metrics": ["roc_auc"]}).demote_unless_passed(result)
    assert proposal.params["severity"] == "warn"
    assert (
        "did not pass on the data it was made from (failed: worse by 0.04)"
        in (proposal.comments[-1])
    )
    passed = CheckResult(check_id="c", kind="metric", status=Status.PASSED)
    assert "severity" not in Proposal({"check": "c"}).demote_unless_passed(passed).params


@pytest.mark.parametrize(
    ("x", "up", "expected"), [(0.91234, False, 0.912), (0.91234, True, 0.913), (1234.5, True, 1240)]
)
def test_bounds_are_rounded_outwards(x, up, expected):
    assert round_out(x, up=up) == expected


def test_the_same_inputs_give_the_same_bytes(scaffolded, project):
    again = scaffolded.with_name("again.yaml")
    code = _init(
        project,
        again,
        "--model",
        str(project / "hgb.skops"),
        "--champion",
        str(project / "champion.skops"),
        "--reference",
        str(project / "train.csv"),
        "--trust-type",
        TREE,
    )
    assert code == 0
    assert again.read_bytes() == scaffolded.read_bytes()


def test_a_model_fitted_on_some_columns_gets_them_as_features(project, tmp_path):
    """The CSV has an identifier and a category the model never saw: without ``features`` the
    model would be given them and fail; the scaffold reads ``feature_names_in_``."""
    frame = pd.read_csv(project / "train.csv")
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    sio.dump(model.fit(frame[["x1", "x2"]], frame["y"]), tmp_path / "numeric.skops")
    out = tmp_path / "g.yaml"
    assert _init(project, out, "--model", str(tmp_path / "numeric.skops"), "--trust") == 0
    cfg = yaml.safe_load(out.read_text())
    assert cfg["datasets"]["evaluation"]["features"] == ["x1", "x2"]
    assert cfg["datasets"]["evaluation"]["slices"] == ["grade"]  # still sliced by it
    assert main(["validate", str(out)]) == 0
