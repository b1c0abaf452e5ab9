"""load_model: factories next to the gate file, each file format, and the trust rules."""

from __future__ import annotations

import pickle
import sys
import textwrap
import uuid
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import torch
from safetensors.torch import save_file
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mlgate.config.schema import ModelSpec
from mlgate.core.errors import MissingDependencyError, ModelLoadError, UntrustedModelError
from mlgate.core.task import Task
from mlgate.models import load_model
from mlgate.models.callable import CallableAdapter
from mlgate.models.sklearn import SklearnAdapter
from mlgate.models.torch import TorchAdapter

X_ARR, Y = make_classification(n_samples=60, n_features=4, random_state=0)
X = pd.DataFrame(X_ARR, columns=["a", "b", "c", "d"])

ARCH_SOURCE = """
import torch

def build(hidden=3, seed=0):
    torch.manual_seed(seed + 1000)  # deliberately different from the saved weights
    return torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, 2))
"""


class Doubler(TransformerMixin, BaseEstimator):
    """A custom class: skops does not trust it by default."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X) * 2.0


@pytest.fixture
def gate_dir(tmp_path: Path) -> Path:
    d = tmp_path / "gate"
    d.mkdir()
    return d


@pytest.fixture
def write_module(gate_dir: Path):
    """Write a uniquely named module into the gate dir; return its name. Unloaded after."""
    names: list[str] = []

    def write(source: str, directory: Path = gate_dir) -> str:
        name = f"mlg_test_{uuid.uuid4().hex[:10]}"
        (directory / f"{name}.py").write_text(textwrap.dedent(source))
        names.append(name)
        return name

    yield write
    for name in names:
        sys.modules.pop(name, None)


def _load(spec: ModelSpec, gate_dir: Path, task: Task = Task.BINARY, seed: int = 7):
    return load_model(spec, name="candidate", base_dir=gate_dir, task=task, seed=seed)


def _torch_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))


def _expected_scores(module: torch.nn.Module) -> np.ndarray:
    return TorchAdapter(module, Task.BINARY).predict(X).scores


# -- factories ---------------------------------------------------------------------------


FACTORY_SOURCE = """
def with_seed(scale=1.0, seed=None):
    def predict(X):
        return X["a"].to_numpy() * scale
    predict.seed = seed
    return predict

def without_seed(scale=1.0):
    return lambda X: X["a"].to_numpy() * scale

class Holder:
    @staticmethod
    def build(seed):
        return lambda X: X["a"].to_numpy() + seed
"""


def test_factory_gets_args_and_seed(gate_dir, write_module):
    mod = write_module(FACTORY_SOURCE)
    path_before = list(sys.path)
    adapter = _load(
        ModelSpec(factory=f"{mod}:with_seed", args={"scale": 2.0}), gate_dir, Task.REGRESSION
    )
    assert sys.path == path_before
    assert isinstance(adapter, CallableAdapter) and adapter.fn.seed == 7
    np.testing.assert_allclose(adapter.predict(X).values, X["a"] * 2.0)
    given = _load(ModelSpec(factory=f"{mod}:with_seed", args={"seed": 3}), gate_dir)
    assert given.fn.seed == 3  # args win over the gate's seed
    plain = _load(
        ModelSpec(factory=f"{mod}:without_seed", args={"scale": 3}), gate_dir, Task.REGRESSION
    )
    np.testing.assert_allclose(plain.predict(X).values, X["a"] * 3)
    dotted = _load(ModelSpec(factory=f"{mod}:Holder.build"), gate_dir, Task.REGRESSION, seed=5)
    np.testing.assert_allclose(dotted.predict(X).values, X["a"] + 5)


def test_factory_errors_name_model_factory_and_dir(gate_dir, write_module):
    with pytest.raises(ModelLoadError, match=r"'candidate'.*'nonexistent_mod:build'") as info:
        _load(ModelSpec(factory="nonexistent_mod:build"), gate_dir)
    assert str(gate_dir) in str(info.value) and "No module named" in str(info.value)
    mod = write_module(FACTORY_SOURCE)
    with pytest.raises(ModelLoadError, match=r"Holder has no attribute 'nope'"):
        _load(ModelSpec(factory=f"{mod}:Holder.nope"), gate_dir)
    with pytest.raises(ModelLoadError, match=r"cannot be called with arguments \['bogus'\]"):
        _load(ModelSpec(factory=f"{mod}:without_seed", args={"bogus": 1}), gate_dir)


def test_same_module_name_in_two_gate_dirs_is_an_error(tmp_path, write_module):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir(), second.mkdir()
    mod = write_module(FACTORY_SOURCE, first)
    (second / f"{mod}.py").write_text(textwrap.dedent(FACTORY_SOURCE))
    _load(ModelSpec(factory=f"{mod}:without_seed"), first, Task.REGRESSION)
    with pytest.raises(ModelLoadError, match=r"already imported from .*one.*Rename"):
        _load(ModelSpec(factory=f"{mod}:without_seed"), second, Task.REGRESSION)


# -- skops -------------------------------------------------------------------------------


def test_skops_round_trip(gate_dir):
    est = LogisticRegression().fit(X, Y)
    sio.dump(est, gate_dir / "model.skops")
    assert sio.get_untrusted_types(file=gate_dir / "model.skops") == []
    adapter = _load(ModelSpec(path="model.skops"), gate_dir)
    assert isinstance(adapter, SklearnAdapter)
    np.testing.assert_allclose(adapter.predict(X).scores, est.predict_proba(X))


def test_skops_untrusted_types_need_trust(gate_dir):
    est = make_pipeline(Doubler(), LogisticRegression()).fit(X, Y)
    sio.dump(est, gate_dir / "custom.skops")
    with pytest.raises(UntrustedModelError, match=rf"{__name__}\.Doubler.*trust: true"):
        _load(ModelSpec(path="custom.skops"), gate_dir)
    adapter = _load(ModelSpec(path="custom.skops", trust=True), gate_dir)
    np.testing.assert_allclose(adapter.predict(X).scores, est.predict_proba(X))


# -- torch -------------------------------------------------------------------------------


def test_safetensors_with_factory(gate_dir, write_module):
    module = _torch_model()
    save_file(module.state_dict(), gate_dir / "w.safetensors")
    mod = write_module(ARCH_SOURCE)
    adapter = _load(ModelSpec(path="w.safetensors", factory=f"{mod}:build"), gate_dir)
    assert isinstance(adapter, TorchAdapter)
    np.testing.assert_allclose(adapter.predict(X).scores, _expected_scores(module), atol=1e-6)
    with pytest.raises(ModelLoadError, match=r"only weights .* add 'factory"):
        _load(ModelSpec(path="w.safetensors"), gate_dir)
    with pytest.raises(ModelLoadError, match=r"do not fit the module"):
        _load(ModelSpec(path="w.safetensors", factory=f"{mod}:build", args={"hidden": 5}), gate_dir)


def test_pt_state_dict_with_factory(gate_dir, write_module):
    module = _torch_model()
    torch.save(module.state_dict(), gate_dir / "w.pt")
    mod = write_module(ARCH_SOURCE)
    adapter = _load(ModelSpec(path="w.pt", factory=f"{mod}:build", batch_size=8), gate_dir)
    assert adapter.batch_size == 8
    np.testing.assert_allclose(adapter.predict(X).scores, _expected_scores(module), atol=1e-6)


def test_pickled_torch_module_needs_trust(gate_dir):
    module = _torch_model()
    torch.save(module, gate_dir / "full.pth")
    with pytest.raises(UntrustedModelError, match=r"pickled Python objects.*trust: true"):
        _load(ModelSpec(path="full.pth"), gate_dir)
    adapter = _load(ModelSpec(path="full.pth", trust=True), gate_dir)
    np.testing.assert_allclose(adapter.predict(X).scores, _expected_scores(module), atol=1e-6)


def test_missing_torch_is_missing_dependency(gate_dir, monkeypatch):
    (gate_dir / "w.pt").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r"mlgate\[torch\]"):
        _load(ModelSpec(path="w.pt"), gate_dir)


def test_missing_skops_is_missing_dependency(gate_dir, monkeypatch):
    (gate_dir / "m.skops").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(MissingDependencyError, match=r"mlgate\[skops\]"):
        _load(ModelSpec(path="m.skops"), gate_dir)


# -- pickle / joblib ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib"])
def test_pickle_formats_need_trust(gate_dir, suffix):
    est = LogisticRegression().fit(X, Y)
    path = gate_dir / f"model{suffix}"
    if suffix == ".joblib":
        joblib.dump(est, path)
    else:
        path.write_bytes(pickle.dumps(est))
    with pytest.raises(UntrustedModelError, match=r"arbitrary code.*trust: true.*models.candidate"):
        _load(ModelSpec(path=path.name), gate_dir)
    adapter = _load(ModelSpec(path=path.name, trust=True), gate_dir)
    np.testing.assert_array_equal(adapter.predict(X).labels, est.predict(X))


# -- path errors -------------------------------------------------------------------------


def test_missing_file_and_unknown_extension(gate_dir, write_module):
    with pytest.raises(ModelLoadError, match=r"does not exist") as info:
        _load(ModelSpec(path="sub/missing.skops"), gate_dir)
    assert str(gate_dir.resolve() / "sub" / "missing.skops") in str(info.value)
    (gate_dir / "model.onnx").write_bytes(b"")
    with pytest.raises(ModelLoadError, match=r"unknown extension '.onnx'; supported: .skops"):
        _load(ModelSpec(path="model.onnx"), gate_dir)
    (gate_dir / "m.pkl").write_bytes(b"")
    with pytest.raises(ModelLoadError, match=r"Drop one of them"):
        _load(ModelSpec(path="m.pkl", factory=f"{write_module(ARCH_SOURCE)}:build"), gate_dir)


def test_kind_mismatch_names_the_model(gate_dir, write_module):
    mod = write_module(FACTORY_SOURCE)
    with pytest.raises(ModelLoadError, match=r"model 'candidate': kind 'torch' needs"):
        _load(ModelSpec(factory=f"{mod}:without_seed", kind="torch"), gate_dir)
