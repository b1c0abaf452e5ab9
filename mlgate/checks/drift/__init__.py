"""Drift of features, predictions and labels between a reference and current data (see
:mod:`mlgate.checks.drift.checks`, :mod:`mlgate.checks.drift.windows`)."""
