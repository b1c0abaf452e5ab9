"""Drift of features, predictions and labels between a reference and current data (see
:mod:`mlgate.drift.checks`, :mod:`mlgate.drift.windows`)."""
