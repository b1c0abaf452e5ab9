"""The learning task a gate evaluates: it decides which metrics and checks apply."""

from __future__ import annotations

import enum


class Task(str, enum.Enum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not Task.REGRESSION
