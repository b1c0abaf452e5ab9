"""Slice-based evaluation: declared slices with per-slice intervals and gaps, group fairness
gaps, and slice discovery; checks ``slices``, ``fairness`` and ``slice_discovery`` (see
docs/checks/slices.md)."""

from mlgate.checks.slices.discovery import bin_features, discover
from mlgate.checks.slices.fairness import fairness_estimate, fairness_gap
from mlgate.checks.slices.spec import SliceSpec, materialize

__all__ = [
    "SliceSpec",
    "bin_features",
    "discover",
    "fairness_estimate",
    "fairness_gap",
    "materialize",
]
