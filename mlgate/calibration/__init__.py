"""Calibration and confidence: ECE / MCE / reliability tables from mergeable bins, the Brier
decomposition, recalibration maps, risk–coverage curves, and the ``calibration`` and
``confidence`` checks (see docs/checks/calibration.md)."""

from mlgate.calibration.bins import CalibrationBins, calibration_summary
from mlgate.calibration.brier import brier_decomposition
from mlgate.calibration.confidence import risk_coverage
from mlgate.calibration.recalibrate import fit_recalibrator

__all__ = [
    "CalibrationBins",
    "brier_decomposition",
    "calibration_summary",
    "fit_recalibrator",
    "risk_coverage",
]
