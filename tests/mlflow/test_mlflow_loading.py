"""Loading ``models:/`` and ``runs:/`` models from a real MLflow server: the flavour decides
the adapter, the origin lands in describe(), and every bad URI is an error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mlflow", minversion="2.16", reason="needs mlgate[mlflow]")

from sklearn.linear_model import LogisticRegression

from mlgate.config.schema import ModelSpec
from mlgate.core.errors import ModelLoadError, SetupError, UntrustedModelError
from mlgate.core.runner import run_gate
from mlgate.core.task import Task
from mlgate.models import load_model
from mlgate.models.callable import CallableAdapter
from mlgate.models.sklearn import SklearnAdapter


def _load(server, uri: str, **kw):
    spec = ModelSpec(uri=uri, tracking_uri=server.url, **kw)
    return load_model(spec, name="candidate", base_dir=Path("."), task=Task.BINARY, seed=0)


def test_an_alias_loads_the_sklearn_flavour_as_the_estimator(mlflow_server, registered, kit):
    adapter = _load(mlflow_server, "models:/churn@challenger")
    assert adapter.kind == "sklearn" and isinstance(adapter.inner, SklearnAdapter)
    assert isinstance(adapter.estimator, LogisticRegression)  # what sklearn checks reach for
    frame = kit.data(50, seed=11)[kit.features]
    preds = adapter.predict(frame)
    assert preds.classes == (0, 1) and preds.scores.shape == (50, 2)
    info = adapter.describe()
    assert info["class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert {
        k: v for k, v in info.items() if k.startswith("mlflow_") and k != "mlflow_model_id"
    } == {
        "mlflow_uri": "models:/churn@challenger",
        "mlflow_model": "churn",
        "mlflow_version": registered.versions["challenger"],
        "mlflow_alias": "challenger",
        "mlflow_run_id": registered.runs["challenger"],
        "mlflow_flavor": "sklearn",
    }


def test_the_identity_is_the_versions_files_whichever_uri_names_it(mlflow_server, registered):
    version, run = registered.versions["challenger"], registered.runs["challenger"]
    by_alias = _load(mlflow_server, "models:/churn@challenger").identity()
    by_version = _load(mlflow_server, f"models:/churn/{version}").identity()
    by_run = _load(mlflow_server, f"runs:/{run}/model").identity()
    champion = _load(mlflow_server, "models:/churn@champion").identity()
    assert by_alias == by_version == by_run != champion
    assert by_alias.startswith("sha256:") and len(by_alias) == 7 + 64


def test_a_run_uri_records_the_run_and_no_registry_version(mlflow_server, registered):
    run = registered.runs["challenger"]
    info = _load(mlflow_server, f"runs:/{run}/model").describe()
    assert info["mlflow_run_id"] == run and info["mlflow_uri"] == f"runs:/{run}/model"
    assert "mlflow_version" not in info and "mlflow_model" not in info


def test_kind_callable_loads_the_pyfunc_flavour(mlflow_server, kit):
    adapter = _load(mlflow_server, "models:/churn@challenger", kind="callable")
    assert isinstance(adapter.inner, CallableAdapter)
    assert adapter.describe()["mlflow_flavor"] == "python_function"
    assert adapter.describe()["name"] == "MLflow python_function model (mlflow.sklearn)"
    labels = adapter.predict(kit.data(20, seed=12)[kit.features]).labels
    assert set(labels.tolist()) <= {0, 1}


def test_a_pickled_version_needs_trust(mlflow_server, registered):
    version = registered.versions["pickled"]
    with pytest.raises(UntrustedModelError) as info:
        _load(mlflow_server, f"models:/churn/{version}")
    assert str(info.value) == (
        f"model 'candidate': models:/churn/{version}: version {version} of 'churn' is saved "
        "with serialization_format 'cloudpickle', and unpickling runs arbitrary code on load. "
        "To load it anyway, set 'trust: true' under 'models.candidate' in the gate file, but "
        "only for models from a registry you trust. Safer: log scikit-learn models with "
        "mlflow.sklearn.log_model(..., serialization_format='skops')."
    )
    assert _load(mlflow_server, f"models:/churn/{version}", trust=True).kind == "sklearn"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "models:/churn@gone",
            r"model 'candidate': models:/churn@gone: registered model 'churn' has no alias "
            r"'gone' \(its aliases: .*@challenger → version \d+, @champion → version \d+.*\); "
            r"set it with MlflowClient\(\)\.set_registered_model_alias\('churn', 'gone', "
            r"<version>\)",
        ),
        (
            "models:/nobody@champion",
            r"models:/nobody@champion: there is no registered model 'nobody' on the tracking "
            r"server http://127\.0\.0\.1:\d+; check the name in the URI",
        ),
        ("models:/churn/999", r"registered model 'churn' has no version '999'"),
        ("runs:/0000/model", r"runs:/0000/model: there is no run '0000' on the tracking"),
        (
            "runs:/{challenger}/nomodel",
            r"could not download the model's files from .*; check the model's name in the URI",
        ),
        ("models:/churn@champion", r"kind 'torch' needs the 'pytorch' flavour"),
    ],
)
def test_a_uri_that_does_not_resolve_names_the_uri_and_the_fix(
    mlflow_server, registered, uri, message
):
    kw = {"kind": "torch"} if uri == "models:/churn@champion" else {}
    uri = uri.format(challenger=registered.runs["challenger"])
    with pytest.raises(ModelLoadError, match=message):
        _load(mlflow_server, uri, **kw)


def test_a_server_that_does_not_answer_names_it(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    spec = ModelSpec(uri="models:/churn@champion", tracking_uri="http://127.0.0.1:9")
    with pytest.raises(ModelLoadError) as info:
        load_model(spec, name="champion", base_dir=Path("."), task=Task.BINARY, seed=0)
    text = str(info.value)
    assert text.startswith("model 'champion': models:/churn@champion: the MLflow tracking")
    assert "server http://127.0.0.1:9 did not answer" in text
    assert "'tracking_uri' under models.champion, else MLFLOW_TRACKING_URI" in text


def test_a_gate_whose_alias_does_not_exist_stops_before_any_check(mlflow_server, tmp_path, kit):
    gate = kit.write_gate(tmp_path, mlflow_server.url)
    text = gate.read_text().replace("models:/churn@challenger", "models:/churn@nope")
    gate.write_text(text)
    with pytest.raises(
        SetupError, match=r"models\.candidate: model 'candidate': models:/churn@nope"
    ):
        run_gate(gate, stages=["staging"])


def _log_in_run(mlflow_server, log, **kw) -> str:
    """Run ``log(name=..., **kw)`` in a new run of its own; returns the run id."""
    import os

    import mlflow

    where = {"name": "model"} if int(mlflow.__version__.split(".")[0]) >= 3 else {}
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = mlflow_server.url
    try:
        with mlflow.start_run() as run:
            log(**(where or {"artifact_path": "model"}), **kw)
    finally:
        if old is None:
            os.environ.pop("MLFLOW_TRACKING_URI")
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old
    return run.info.run_id


class Threshold:
    """A python_function model of its own: P(churn) from one column."""

    def predict(self, context, model_input, params=None):
        import numpy as np

        p = 1.0 / (1.0 + np.exp(-model_input["tenure"].to_numpy()))
        return np.column_stack([1.0 - p, p])


def test_a_custom_pyfunc_model_needs_trust_and_runs_as_a_callable(mlflow_server, kit):
    import mlflow.pyfunc

    class Model(mlflow.pyfunc.PythonModel):
        predict = Threshold.predict

    run = _log_in_run(
        mlflow_server, mlflow.pyfunc.log_model, python_model=Model(), pip_requirements=["numpy"]
    )
    uri = f"runs:/{run}/model"
    with pytest.raises(UntrustedModelError, match=r"is a python_function model \(mlflow\.pyfunc"):
        _load(mlflow_server, uri)
    adapter = _load(mlflow_server, uri, trust=True, classes=[0, 1])
    assert adapter.kind == "callable" and adapter.describe()["mlflow_flavor"] == "python_function"
    preds = adapter.predict(kit.data(30, seed=13)[kit.features])
    assert preds.scores.shape == (30, 2) and preds.classes == (0, 1)


@pytest.mark.parametrize("fmt", ["pickle", "pt2"])
def test_a_pytorch_model_needs_trust_and_loads_as_the_module(mlflow_server, kit, fmt):
    torch = pytest.importorskip("torch")
    import mlflow.pytorch
    import numpy as np

    from mlgate.models.torch import TorchAdapter

    # MLflow 3 saves a torch.export program ("pt2", its default; it needs an input example);
    # MLflow 2 only pickles the module.
    if not hasattr(mlflow.pytorch, "SERIALIZATION_FORMAT_PT2"):
        if fmt == "pt2":
            pytest.skip("MLflow 2 has no pt2 format")
        options = {}
    else:
        options = {"serialization_format": fmt}
    if fmt == "pt2":
        options["input_example"] = np.zeros((3, len(kit.features)), dtype="float32")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(len(kit.features), 2))
    run = _log_in_run(
        mlflow_server,
        mlflow.pytorch.log_model,
        pytorch_model=net,
        pip_requirements=["torch"],
        **options,
    )
    uri = f"runs:/{run}/model"
    with pytest.raises(UntrustedModelError, match=r"is a pytorch model saved "):
        _load(mlflow_server, uri)
    adapter = _load(mlflow_server, uri, trust=True, classes=[0, 1])
    assert isinstance(adapter.inner, TorchAdapter)
    assert isinstance(adapter.module, torch.nn.Module)
    assert adapter.describe()["mlflow_flavor"] == "pytorch"
    frame = kit.data(30, seed=14)[kit.features].astype("float32")
    expected = torch.softmax(net(torch.tensor(frame.to_numpy())), dim=1).detach().numpy()
    np.testing.assert_allclose(adapter.predict(frame).scores, expected, rtol=1e-5, atol=1e-6)
