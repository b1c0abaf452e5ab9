"""Test models: a small MLP for one batch of digits, with switches that plant known bugs.

A plain module (not conftest) so that test files can import it by a unique name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Log(nn.Module):
    """``torch.log`` as a module: a feature transform that forgets pixels can be 0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x)


class Net(nn.Module):
    """64 -> 32 -> 10 MLP with dropout. Each flag plants one bug."""

    def __init__(
        self,
        n_in: int = 64,
        *,
        frozen: bool = False,
        log_inputs: bool = False,
        dropout_in_eval: bool = False,
        by_position: bool = False,
    ) -> None:
        super().__init__()
        self.log = Log() if log_inputs else nn.Identity()
        self.hidden = nn.Linear(n_in, 32)
        self.dropout = nn.Dropout(0.1)
        self.out = nn.Linear(32, 10)
        self.dropout_in_eval, self.by_position = dropout_in_eval, by_position
        if by_position:  # one row of logits per batch position: ignores the inputs
            self.table = nn.Parameter(torch.zeros(64, 10))
        if frozen:
            self.hidden.weight.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.hidden(self.log(x)))
        h = F.dropout(h, 0.1) if self.dropout_in_eval else self.dropout(h)
        out = self.out(h)
        if self.by_position:
            return self.table[: len(x)] + 0.0 * out
        return out


def make_net(**flags) -> Net:
    return Net(**flags)


def adam(model: nn.Module, lr: float = 1e-2) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=lr)
