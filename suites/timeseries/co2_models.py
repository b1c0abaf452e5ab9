"""Models for the time-series demo: least-squares forecasts of next week's CO2 change."""

from __future__ import annotations

import pandas as pd
from co2_data import FEATURES, LABEL, reference
from sklearn.linear_model import LinearRegression


def fit(X: pd.DataFrame, y) -> LinearRegression:
    """Fit the forecaster on given rows (the backtest's rolling-origin retraining calls it)."""
    return LinearRegression().fit(X.loc[:, FEATURES], y)


def candidate() -> LinearRegression:
    """The candidate: fitted once on the training period (weeks up to the cutoff)."""
    train = reference()
    return fit(train.loc[:, FEATURES], train[LABEL].to_numpy())
