"""The gate file: its schema (pydantic) and its loader with path-naming errors."""

from mlgate.config.load import load_gate, parse_gate
from mlgate.config.schema import (
    CheckDecl,
    DatasetSpec,
    GateConfig,
    ModelSpec,
    StageSpec,
    Task,
)

__all__ = [
    "CheckDecl",
    "DatasetSpec",
    "GateConfig",
    "ModelSpec",
    "StageSpec",
    "Task",
    "load_gate",
    "parse_gate",
]
