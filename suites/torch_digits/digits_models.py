"""Demo models: a small PyTorch MLP for the digits images.

- ``make_mlp``: a fresh, untrained MLP (the training checks build many of these).
- ``make_optimizer``: Adam over the model's parameters.
- ``candidate``: the MLP trained on the reference split with the gate's seed (a second or so
  on one CPU core).

``make_mlp(dropout_in_eval=True)`` plants a classic bug (dropout applied with
``F.dropout(x, p)``, which ignores eval mode) for the held variant of the gate,
``mlgate-buggy.yaml``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from digits_data import train_arrays
from torch import nn

PIXEL_MAX = 16.0  # digits pixels are 0..16


class DigitsMLP(nn.Module):
    """Pixels (0-16) scaled to 0-1, one hidden ReLU layer with dropout, ten logits."""

    def __init__(self, hidden: int = 64, dropout: float = 0.1, dropout_in_eval: bool = False):
        super().__init__()
        self.hidden = nn.Linear(64, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 10)
        self.p, self.dropout_in_eval = dropout, dropout_in_eval

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.hidden(x / PIXEL_MAX))
        h = F.dropout(h, self.p) if self.dropout_in_eval else self.dropout(h)
        return self.out(h)


def make_mlp(hidden: int = 64, dropout: float = 0.1, dropout_in_eval: bool = False) -> nn.Module:
    """A fresh MLP. Its initial weights come from torch's generator, which the training
    checks seed."""
    return DigitsMLP(hidden, dropout, dropout_in_eval)


def make_optimizer(model: nn.Module, lr: float = 0.01) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=lr)


def candidate(seed: int = 0, epochs: int = 40, batch_size: int = 128, **mlp_args) -> nn.Module:
    """The MLP trained on the reference split (mini-batch Adam). torch's global random
    state is restored afterwards."""
    X, y = (torch.from_numpy(a) for a in train_arrays())
    order = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make_mlp(**mlp_args)
        opt = make_optimizer(model)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        for _ in range(epochs):
            perm = torch.from_numpy(order.permutation(len(y)))
            for start in range(0, len(y), batch_size):
                idx = perm[start : start + batch_size]
                opt.zero_grad()
                loss_fn(model(X[idx]), y[idx]).backward()
                opt.step()
    return model.eval()
