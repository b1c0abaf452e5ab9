"""A Python training check beside the gate file: the same probes through the Python API,
on a second batch of training rows.

Marked tests become gate checks with ``pytest --mlgate``; without it they are skipped.
"""

import pytest

torch = pytest.importorskip("torch")

from digits_data import train_batch  # noqa: E402  (this folder is on sys.path under pytest)
from digits_models import make_mlp, make_optimizer  # noqa: E402

from mlgate.checks.training import check_training  # noqa: E402


@pytest.mark.mlgate(kind="training", stages="staging", id="training-probes-second-batch")
def test_mlp_learns_a_second_batch(mlgate, mlgate_record):
    result = check_training(
        make_mlp,
        torch.nn.CrossEntropyLoss(),
        make_optimizer,
        train_batch(rows=32, offset=64),
        seed=mlgate.seed,
        device=mlgate.device,
        probes=["overfit", "gradients", "updates", "eval_mode"],
        max_steps=300,
    )
    mlgate_record(result)
