"""Durations of time windows (mlgate.core.windows.parse_duration) and calendar windows cut by
pandas offset aliases (MS, QS, W-MON, YS), checked against pandas' own calendar periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.windows import WindowSpec, cut_windows, parse_duration


def days(start: str, end: str) -> pd.Series:
    return pd.Series(pd.date_range(start, end, freq="D"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30D", pd.Timedelta(days=30)),
        ("2W", pd.Timedelta(days=14)),
        ("W", pd.Timedelta(days=7)),
        ("12h", pd.Timedelta(hours=12)),
        ("12H", pd.Timedelta(hours=12)),  # what a user means, without pandas' deprecation
        ("90min", pd.Timedelta(minutes=90)),
        ("1D12h", pd.Timedelta(hours=36)),
        ("1.5D", pd.Timedelta(hours=36)),
        ("730D", pd.Timedelta(days=730)),
        ("5ms", pd.Timedelta(milliseconds=5)),
    ],
)
def test_fixed_lengths_read_as_pandas_timedeltas(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("MS", pd.offsets.MonthBegin(1)),
        ("3MS", pd.offsets.MonthBegin(3)),  # pd.Timedelta("3MS") is 3 milliseconds
        ("QS", pd.offsets.QuarterBegin(startingMonth=1)),
        ("2QS", pd.offsets.QuarterBegin(2, startingMonth=1)),
        ("QS-FEB", pd.offsets.QuarterBegin(startingMonth=2)),
        ("W-MON", pd.offsets.Week(weekday=0)),
        ("YS", pd.offsets.YearBegin(month=1)),
        ("YS-JUL", pd.offsets.YearBegin(month=7)),
    ],
)
def test_calendar_aliases_read_as_pandas_offsets(text, offset):
    assert parse_duration(text) == offset


def test_3ms_is_three_months_not_three_milliseconds():
    # the bug: pd.Timedelta("3MS") == 3 ms, so a '3MS' window held one day's rows at most
    with pytest.warns(Warning):
        assert pd.Timedelta("3MS") == pd.Timedelta(milliseconds=3)
    ws = cut_windows(days("2024-01-01", "2024-12-31"), WindowSpec(every="3MS"))
    assert [w.label for w in ws] == [
        "2024-01-01 – 2024-04-01",
        "2024-04-01 – 2024-07-01",
        "2024-07-01 – 2024-10-01",
        "2024-10-01 – 2025-01-01",
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("3M", "write '3MS' for calendar months"),
        ("M", "'MS' for calendar months"),
        ("1m", "pandas reads 'm' as minutes; write 'min'"),
        ("1Q", "write 'QS' for calendar quarters"),
        ("2Q", "write '2QS'"),
        ("QE", "write 'QS'"),
        ("ME", "windows start on a period's first day; write 'MS'"),
        ("1Y", "write 'YS' for calendar years"),
        ("1y", "'YS'"),
        ("A", "'YS'"),
        ("5T", "write '5min'"),
        ("3 months", "'3MS'"),
        ("10", "no unit (pandas would read '10' as nanoseconds); write e.g. '10D'"),
        ("0D", "must be positive"),
        ("-3D", "must be positive"),
        ("soon", "not a duration; write a fixed length ('30D'"),
    ],
)
def test_strings_pandas_would_misread_are_refused_with_the_fix(text, says):
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert says in str(info.value)


PERIODS = [("MS", "M"), ("QS", "Q"), ("YS", "Y"), ("W-MON", "W-SUN")]


@pytest.mark.parametrize(("alias", "period"), PERIODS)
def test_calendar_windows_are_pandas_periods(alias, period):
    """Each calendar window holds exactly the rows of one pandas period (weeks from Monday
    are pandas' weeks ending on Sunday), computed independently with ``to_period``."""
    rng = np.random.default_rng(0)
    t = pd.Series(pd.to_datetime("2023-02-10") + pd.to_timedelta(rng.uniform(0, 700, 3000), "D"))
    ws = cut_windows(t, WindowSpec(every=alias))
    expected = t.groupby(t.dt.to_period(period)).size()
    got = {pd.Period(w.start, period): len(w.positions) for w in ws if len(w.positions)}
    assert got == expected.to_dict()
    for w in ws:
        assert (t.iloc[w.positions].dt.to_period(period) == pd.Period(w.start, period)).all()
        assert w.start == pd.Period(w.start, period).start_time  # starts on its boundary


def test_calendar_windows_after_a_cutoff_start_on_the_next_boundary():
    t = days("2023-01-01", "2024-08-20")
    ws = cut_windows(t, WindowSpec(every="QS"), start=pd.Timestamp("2023-12-31"))
    assert [(w.label, len(w.positions)) for w in ws] == [
        ("2024-01-01 – 2024-04-01", 91),
        ("2024-04-01 – 2024-07-01", 91),
        ("2024-07-01 – 2024-10-01", 51),  # the latest quarter so far
    ]


def test_calendar_sliding_steps_and_accumulating_windows():
    t = days("2024-01-01", "2024-12-31")
    rolling = cut_windows(t, WindowSpec(every="3MS", step="MS"))
    assert [w.start.month for w in rolling][:4] == [1, 2, 3, 4]
    assert all(len(w.positions) in (90, 91, 92) for w in rolling[:10])
    grown = cut_windows(t, WindowSpec(every="QS", mode="accumulating"))
    assert [len(w.positions) for w in grown] == [91, 182, 274, 366]


def test_fixed_windows_keep_their_behaviour():
    # 30D windows start at the first time, not on a calendar boundary
    ws = cut_windows(days("2024-01-10", "2024-03-09"), WindowSpec(every="30D"))
    assert [w.label for w in ws] == ["2024-01-10 – 2024-02-09", "2024-02-09 – 2024-03-10"]


def test_calendar_windows_need_dates():
    with pytest.raises(ConfigError, match="the time column holds numbers, so every must be"):
        cut_windows(pd.Series([1.0, 2.0, 3.0]), WindowSpec(every="QS"))


@pytest.mark.parametrize(
    ("check", "key", "value", "fix"),
    [
        (
            {"check": "backtest", "metric": "accuracy", "min": 0.8, "every": "3M"},
            "every",
            "'3M'",
            "'3MS'",
        ),
        ({"check": "drift_windows", "every": "1Q"}, "every", "'1Q'", "'QS'"),
        ({"check": "drift_windows", "every": "30D", "step": "1m"}, "step", "'1m'", "'min'"),
        (
            {"check": "backtest", "metric": "accuracy", "min": 0.8, "every": 0},
            "every",
            "0",
            "positive",
        ),
        ({"check": "drift_windows", "rows": 100, "step": "1D"}, "checks[0]", "'1D'", "row count"),
    ],
)
def test_a_misread_duration_is_a_gate_file_error(write_gate, tmp_path, check, key, value, fix):
    """Refused when the gate file is opened, before any model or dataset is loaded, with the
    key's path, the value and what to write."""
    path = write_gate(tmp_path, [check], time="t")
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    text = str(info.value)
    assert f"stages.ci.checks[0]{'' if key.startswith('checks') else '.' + key}" in text
    assert value in text and fix in text
