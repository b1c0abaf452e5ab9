"""TorchAdapter against a manual forward pass: shapes, batching, modes, OOM backoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mlgate.core.errors import PredictionError
from mlgate.core.task import Task
from mlgate.models.torch import TorchAdapter

# -- torch -------------------------------------------------------------------------------


def _linear(n_in: int, n_out: int, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out)


def _manual(module: torch.nn.Module, X: pd.DataFrame) -> torch.Tensor:
    with torch.no_grad():
        return module(torch.tensor(X.to_numpy(), dtype=torch.float32))


def test_torch_multiclass_equals_manual_softmax(multiclass_data):
    X, _ = multiclass_data
    module = _linear(5, 3)
    preds = TorchAdapter(module, Task.MULTICLASS, device="cpu").predict(X)
    expected = torch.softmax(_manual(module, X), dim=1).numpy()
    np.testing.assert_allclose(preds.scores, expected, atol=1e-6)
    np.testing.assert_array_equal(preds.labels, expected.argmax(axis=1))
    assert preds.classes == (0, 1, 2)
    preds.validate(len(X), source="candidate")
    named = TorchAdapter(module, Task.MULTICLASS, classes=["x", "y", "z"]).predict(X)
    np.testing.assert_array_equal(named.labels, np.array(["x", "y", "z"])[expected.argmax(1)])


@pytest.mark.parametrize("shape", ["n", "n1"])
def test_torch_binary_single_logit_is_sigmoid(binary_data, shape):
    X, _ = binary_data
    linear = _linear(4, 1)
    module = linear if shape == "n1" else torch.nn.Sequential(linear, torch.nn.Flatten(0))
    preds = TorchAdapter(module, Task.BINARY, classes=[False, True]).predict(X)
    p = torch.sigmoid(_manual(linear, X)[:, 0]).numpy()
    np.testing.assert_allclose(preds.scores[:, 1], p, atol=1e-6)
    np.testing.assert_allclose(preds.scores.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(preds.labels, p > 0.5)


def test_torch_binary_two_logits_is_softmax(binary_data):
    X, _ = binary_data
    module = _linear(4, 2)
    preds = TorchAdapter(module, Task.BINARY).predict(X)
    expected = torch.softmax(_manual(module, X), 1).numpy()
    np.testing.assert_allclose(preds.scores, expected, atol=1e-6)


def test_torch_regression(binary_data):
    X, _ = binary_data
    module = _linear(4, 1)
    preds = TorchAdapter(module, Task.REGRESSION).predict(X)
    assert preds.values.shape == (len(X),) and preds.values.dtype == np.float64
    np.testing.assert_allclose(preds.values, _manual(module, X)[:, 0].numpy(), atol=1e-6)


def test_torch_batch_size_does_not_change_results(multiclass_data):
    X, _ = multiclass_data
    module = _linear(5, 3)
    runs = [TorchAdapter(module, Task.MULTICLASS, batch_size=b).predict(X) for b in (1, 7, 1024)]
    for other in runs[1:]:
        np.testing.assert_allclose(other.scores, runs[0].scores, atol=1e-6)
        np.testing.assert_array_equal(other.labels, runs[0].labels)


class _Recorder(torch.nn.Module):
    """Records the mode it ran in; its dropout child stays in its own mode."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = _linear(4, 2)
        self.dropout = torch.nn.Dropout(0.5)
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append((self.training, torch.is_inference_mode_enabled()))
        return self.dropout(self.linear(x))


def test_torch_runs_in_eval_inference_mode_and_restores_training_flags(binary_data):
    X, _ = binary_data
    module = _Recorder()
    module.train()
    module.dropout.eval()  # mixed flags must come back exactly
    first = TorchAdapter(module, Task.BINARY).predict(X)
    second = TorchAdapter(module, Task.BINARY).predict(X)
    assert module.seen and all(s == (False, True) for s in module.seen)
    assert module.training and module.linear.training and not module.dropout.training
    np.testing.assert_array_equal(first.scores, second.scores)  # dropout was off


class _OomAbove(torch.nn.Module):
    def __init__(self, limit: int, message: str = "CUDA out of memory. Tried to allocate") -> None:
        super().__init__()
        self.linear = _linear(5, 3)
        self.limit, self.message = limit, message
        self.sizes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(len(x))
        if len(x) > self.limit:
            raise RuntimeError(self.message)
        return self.linear(x)


def test_torch_out_of_memory_halves_batch_size(multiclass_data):
    X, _ = multiclass_data
    module = _OomAbove(limit=4)
    preds = TorchAdapter(module, Task.MULTICLASS, batch_size=1024).predict(X)
    expected = TorchAdapter(module.linear, Task.MULTICLASS).predict(X)
    np.testing.assert_allclose(preds.scores, expected.scores, atol=1e-6)
    ok = [s for s in module.sizes if s <= 4]
    assert max(ok) == 4 and sum(ok) == len(X)
    assert module.sizes[:6] == [150, 75, 37, 18, 9, 4]  # halving starts from n, not 1024


def test_torch_out_of_memory_at_batch_size_one_is_prediction_error(multiclass_data):
    X, _ = multiclass_data
    with pytest.raises(PredictionError, match=r"even at batch size 1"):
        TorchAdapter(_OomAbove(limit=0), Task.MULTICLASS, batch_size=8).predict(X)


def test_torch_other_errors_are_not_retried(multiclass_data):
    X, _ = multiclass_data
    module = _OomAbove(limit=4, message="mat1 and mat2 shapes cannot be multiplied")
    with pytest.raises(PredictionError, match=r"shapes cannot be multiplied"):
        TorchAdapter(module, Task.MULTICLASS, batch_size=16).predict(X)
    assert module.sizes == [16]


def test_torch_bad_outputs_and_inputs(multiclass_data):
    X, _ = multiclass_data
    with pytest.raises(PredictionError, match=r"shape \(150, 1\)"):
        TorchAdapter(_linear(5, 1), Task.MULTICLASS).predict(X)
    with pytest.raises(PredictionError, match=r"3 score columns .* 2 classes"):
        TorchAdapter(_linear(5, 3), Task.MULTICLASS, classes=["a", "b"]).predict(X)
    with pytest.raises(PredictionError, match=r"columns \['f4'\] are not numeric"):
        TorchAdapter(_linear(5, 3), Task.MULTICLASS).predict(X.assign(f4="x"))


def test_torch_empty_frame_and_describe(multiclass_data):
    X, _ = multiclass_data
    adapter = TorchAdapter(_linear(5, 3), Task.MULTICLASS, device="cpu")
    assert len(adapter.predict(X.iloc[:0])) == 0
    assert adapter.describe() == {
        "kind": "torch",
        "class": "torch.nn.modules.linear.Linear",
        "parameters": 18,
        "device": "cpu",
    }


# -- autocast and the one copy to the CPU --------------------------------------------------


class _DtypeRecorder(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = _linear(5, 3)
        self.dtypes: list[torch.dtype] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear(x)
        self.dtypes.append(out.dtype)
        return out


@pytest.mark.parametrize(
    ("autocast", "dtype", "atol"),
    [("bf16", torch.bfloat16, 2e-2), ("fp16", torch.float16, 2e-3)],
)
def test_torch_autocast_runs_in_low_precision_and_returns_float64(
    multiclass_data, autocast, dtype, atol
):
    X, _ = multiclass_data
    module = _DtypeRecorder()
    exact = TorchAdapter(module.linear, Task.MULTICLASS, device="cpu").predict(X)
    preds = TorchAdapter(
        module, Task.MULTICLASS, device="cpu", autocast=autocast, batch_size=40
    ).predict(X)
    assert module.dtypes == [dtype] * 4  # 150 rows in batches of 40
    assert preds.scores.dtype == np.float64
    np.testing.assert_allclose(preds.scores, exact.scores, atol=atol)
    np.testing.assert_allclose(preds.scores.sum(axis=1), 1.0, rtol=1e-6)
    adapter = TorchAdapter(module, Task.MULTICLASS, device="cpu", autocast=autocast)
    assert adapter.describe()["autocast"] == autocast


def test_torch_autocast_none_is_full_precision_and_bad_values_are_rejected(multiclass_data):
    X, _ = multiclass_data
    module = _DtypeRecorder()
    for off in (None, "none"):
        TorchAdapter(module, Task.MULTICLASS, autocast=off).predict(X)
        assert "autocast" not in TorchAdapter(module, Task.MULTICLASS, autocast=off).describe()
    assert set(module.dtypes) == {torch.float32}
    with pytest.raises(
        ValueError,
        match=r"autocast must be one of \['bf16', 'fp16', 'none'\] or None, got 'float16'",
    ):
        TorchAdapter(module, Task.MULTICLASS, autocast="float16")


@pytest.mark.parametrize("task", [Task.MULTICLASS, Task.REGRESSION])
def test_torch_results_are_copied_to_the_cpu_once_whatever_the_batch_count(
    multiclass_data, monkeypatch, task
):
    X, _ = multiclass_data
    module = _linear(5, 3 if task is Task.MULTICLASS else 1)
    calls = []
    original = torch.Tensor.cpu

    def counting_cpu(self, *args, **kwargs):
        calls.append(tuple(self.shape))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "cpu", counting_cpu)
    TorchAdapter(module, task, device="cpu", batch_size=7).predict(X)  # 22 batches
    assert calls == [(150, 3) if task is Task.MULTICLASS else (150,)]


class _WritesIntoInput(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = _linear(5, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.is_contiguous()  # models may call .view() on their input
        x.mul_(0.0)  # bad manners: must not reach the caller's frame
        return self.linear(x)


def test_torch_model_writing_into_its_input_leaves_the_frame_alone(multiclass_data):
    X, _ = multiclass_data
    before = X.copy()
    preds = TorchAdapter(_WritesIntoInput(), Task.MULTICLASS, batch_size=16).predict(X)
    pd.testing.assert_frame_equal(X, before)
    assert preds.scores.shape == (150, 3)


def test_a_module_sampling_at_inference_predicts_the_same_for_the_same_seed():
    """A buggy model that keeps dropout on when predicting used to give a different verdict
    on every run (torch's global seed is random per process); now the gate seed decides."""
    import numpy as np
    import pandas as pd
    import torch

    from mlgate.core.task import Task
    from mlgate.models.torch import TorchAdapter

    class AlwaysDropout(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(4, 3)

        def forward(self, x):
            return torch.nn.functional.dropout(self.linear(x), p=0.5, training=True)

    torch.manual_seed(0)
    module = AlwaysDropout()
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(64, 4)), columns=list("abcd"))

    def scores(seed: int) -> np.ndarray:
        return TorchAdapter(module, Task.MULTICLASS, seed=seed, device="cpu").predict(X).scores

    torch.manual_seed(123)
    before = torch.get_rng_state()
    first, again, other = scores(7), scores(7), scores(8)
    assert torch.equal(torch.get_rng_state(), before), "the caller's generator was consumed"
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
