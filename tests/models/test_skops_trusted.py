"""Trusted types for skops files (issue 15, item 9): ``trusted: [...]`` per model is the safe
middle between refusing a file and ``trust: true``. A file holding a type outside the list is
refused, naming exactly the types outside it and the line that would allow them; the refusal
is a setup error (exit 4) in ``mlgate validate`` and in a gate run.

The files are real: a scikit-learn HistGradientBoostingClassifier, whose tree predictors skops
does not trust by default, saved with ``skops.io.dump``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from pydantic import ValidationError
from sklearn.ensemble import HistGradientBoostingClassifier

from mlgate.cli import main
from mlgate.config.schema import ModelSpec
from mlgate.core.decision import ExitCode
from mlgate.core.errors import UntrustedModelError
from mlgate.core.task import Task
from mlgate.models import load_model

TREE = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=300),
            "x2": rng.normal(size=300),
            "grade": pd.Categorical(rng.choice(["a", "b", "c"], size=300)),
        }
    )
    frame["y"] = (frame["x1"] + 0.5 * rng.normal(size=300) > 0).astype(int)
    return frame


@pytest.fixture(scope="module")
def hgb_file(tmp_path_factory, data) -> Path:
    """An HGB on two numeric columns: skops reports exactly one untrusted type."""
    folder = tmp_path_factory.mktemp("skops_hgb")
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    model.fit(data[["x1", "x2"]], data["y"])
    sio.dump(model, folder / "hgb.skops")
    assert sio.get_untrusted_types(file=folder / "hgb.skops") == [TREE]
    return folder / "hgb.skops"


@pytest.fixture(scope="module")
def hgb_categorical_file(tmp_path_factory, data) -> Path:
    """An HGB with a native categorical column: skops reports three untrusted types."""
    folder = tmp_path_factory.mktemp("skops_hgb_cat")
    model = HistGradientBoostingClassifier(
        max_iter=20, random_state=0, categorical_features="from_dtype"
    )
    model.fit(data[["x1", "x2", "grade"]], data["y"])
    sio.dump(model, folder / "hgb_cat.skops")
    assert len(sio.get_untrusted_types(file=folder / "hgb_cat.skops")) == 3
    return folder / "hgb_cat.skops"


def _load(path: Path, **spec):
    return load_model(
        ModelSpec(path=path.name, **spec),
        name="candidate",
        base_dir=path.parent,
        task=Task.BINARY,
        seed=0,
    )


def test_an_hgb_file_is_refused_naming_its_untrusted_type_and_the_fix(hgb_file):
    with pytest.raises(UntrustedModelError) as info:
        _load(hgb_file)
    message = str(info.value)
    assert "holds 1 type(s) that skops does not trust by default" in message
    assert f": {TREE}." in message
    assert f"'trusted: [{TREE}]'" in message and "models.candidate" in message
    assert "\n" not in message  # one line: it is repeated inside the setup-error list


def test_listing_the_type_loads_the_file_and_predicts_like_the_estimator(hgb_file, data):
    adapter = _load(hgb_file, trusted=[TREE])
    expected = sio.load(hgb_file, trusted=[TREE]).predict_proba(data[["x1", "x2"]])
    np.testing.assert_array_equal(adapter.predict(data[["x1", "x2"]]).scores, expected)


def test_a_list_that_misses_some_types_names_exactly_the_missing_ones(hgb_categorical_file):
    found = sio.get_untrusted_types(file=hgb_categorical_file)
    listed, missing = found[:1], found[1:]
    with pytest.raises(UntrustedModelError) as info:
        _load(hgb_categorical_file, trusted=listed)
    message = str(info.value)
    named = message.split("which could run code when loaded: ")[1].split(". If the file")[0]
    assert named.split(", ") == missing  # exactly the types outside the list, no others
    assert "not listed under 'trusted'" in message
    # The suggested line keeps what was listed and adds the rest: pasting it loads the file.
    line = message.split("'trusted: [")[1].split("]'")[0].split(", ")
    assert sorted(line) == sorted(found)
    assert _load(hgb_categorical_file, trusted=line) is not None


def test_trust_true_still_allows_any_type(hgb_categorical_file):
    assert _load(hgb_categorical_file, trust=True) is not None


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"path": "m.skops", "trusted": True}, "to allow any type write 'trust: true'"),
        ({"path": "m.skops", "trusted": ["TreePredictor"]}, "dotted type names"),
        ({"path": "m.skops", "trusted": [TREE, TREE]}, "lists a type twice"),
        ({"path": "m.skops", "trusted": [TREE], "trust": True}, "drop 'trust', or drop"),
        ({"path": "m.joblib", "trusted": [TREE]}, "is not a .skops file"),
        ({"factory": "m:f", "trusted": [TREE]}, "is not a .skops file"),
        ({"uri": "models:/m@champion", "trusted": [TREE]}, "drop 'trusted'"),
    ],
    ids=["bool", "not-dotted", "twice", "with-trust", "joblib", "factory", "uri"],
)
def test_a_wrong_trusted_list_is_refused_before_anything_loads(spec, words):
    with pytest.raises(ValidationError, match=words):
        ModelSpec(**spec)


def test_a_single_type_name_is_read_as_a_list():
    assert ModelSpec(path="m.skops", trusted=TREE).trusted == [TREE]


def _gate(folder: Path, model_file: Path, trusted: str, data: pd.DataFrame) -> Path:
    data[["x1", "x2", "y"]].to_csv(folder / "eval.csv", index=False)
    path = folder / "mlgate.yaml"
    path.write_text(
        "name: g\ntask: binary\n"
        f"models: {{candidate: {{path: {model_file}{trusted}}}}}\n"
        "datasets: {evaluation: {path: eval.csv, label: y}}\n"
        "stages: {s: {checks: [{check: metric_threshold, metric: accuracy, min: 0.6}]}}\n"
    )
    return path


def test_validate_refuses_an_unlisted_type_with_exit_4_and_accepts_the_listed_one(
    tmp_path, hgb_file, data, capsys
):
    gate = _gate(tmp_path, hgb_file, "", data)
    assert main(["validate", str(gate)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert "1 setup problem(s)" in err and "models.candidate" in err and TREE in err
    assert main(["validate", "--schema-only", str(gate)]) == 0  # the file itself is fine
    gate = _gate(tmp_path, hgb_file, f", trusted: [{TREE}]", data)
    assert main(["validate", str(gate)]) == 0


def test_a_gate_run_with_an_unlisted_type_is_a_usage_error_not_a_hold(pytester, hgb_file, data):
    _gate(pytester.path, hgb_file, "", data)
    result = pytester.runpytest("--mlgate", "-p", "no:cacheprovider")
    assert result.ret == ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert TREE in err and err.count("setup problem") == 1
    _gate(pytester.path, hgb_file, f", trusted: [{TREE}]", data)
    result = pytester.runpytest("--mlgate", "-p", "no:cacheprovider")
    assert result.ret == ExitCode.PROMOTE
