"""Backtests: a model on successive time windows after its training cutoff (see
:mod:`mlgate.checks.backtest.checks`)."""
