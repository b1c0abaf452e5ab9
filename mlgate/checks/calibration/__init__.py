"""Calibration and confidence: ECE / MCE / reliability tables from mergeable bins, the Brier
decomposition, recalibration maps, risk–coverage curves, and the ``calibration`` and
``confidence`` checks (see docs/checks/calibration.md)."""

from mlgate.checks.calibration.bins import CalibrationBins, calibration_summary
from mlgate.checks.calibration.brier import brier_decomposition
from mlgate.checks.calibration.confidence import risk_coverage
from mlgate.checks.calibration.recalibrate import fit_recalibrator

__all__ = [
    "CalibrationBins",
    "brier_decomposition",
    "calibration_summary",
    "fit_recalibrator",
    "risk_coverage",
]
