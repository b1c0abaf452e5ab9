"""Data for the time-series demo: weekly CO2 at Mauna Loa, 1958–2001, from the copy that ships
with statsmodels (``statsmodels.datasets.co2``; nothing is downloaded).

The model forecasts next week's change in CO2 (ppm) from the last two weekly changes, the
growth over the past year and the season. 59 missing weeks are filled by linear interpolation
in time before the features are built. Rows up to ``CUTOFF`` are the training period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CUTOFF = "1989-12-31"
FEATURES = ["change_lag1", "change_lag2", "growth_52w", "season_sin", "season_cos"]
LABEL = "change"
TIME = "week"


def series() -> pd.DataFrame:
    """Every usable week: the time column, the features and the label."""
    from statsmodels.datasets import co2

    raw = co2.load_pandas().data["co2"]
    level = raw.interpolate(method="time")
    change = level.diff()
    frame = pd.DataFrame(
        {
            TIME: level.index,
            "change_lag1": change.shift(1).to_numpy(),
            "change_lag2": change.shift(2).to_numpy(),
            "growth_52w": (level.shift(1) - level.shift(53)).to_numpy(),
            "season_sin": np.sin(2 * np.pi * level.index.day_of_year / 365.25),
            "season_cos": np.cos(2 * np.pi * level.index.day_of_year / 365.25),
            LABEL: change.to_numpy(),
        }
    )
    return frame.dropna().reset_index(drop=True)


def history() -> pd.DataFrame:
    """All weeks, 1959–2001 (the backtests cut it at the cutoff themselves)."""
    return series()


def reference() -> pd.DataFrame:
    """The training period: weeks up to the cutoff."""
    s = series()
    return s[s[TIME] <= CUTOFF].reset_index(drop=True)


def evaluation() -> pd.DataFrame:
    """The weeks after the cutoff (1990–2001), which the model never saw."""
    s = series()
    return s[s[TIME] > CUTOFF].reset_index(drop=True)
