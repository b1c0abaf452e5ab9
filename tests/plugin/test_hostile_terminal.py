"""Hostile text on the terminal and unbounded messages (issue 14 items 15 and 16).

Data reaches messages (slice values, column names, exception text). Nothing printed may carry
a control character (an ANSI escape printed a fake green "stage staging: PROMOTE"), and no
message, reason or result.json message is longer than mlgate.core.runner.MESSAGE_LIMIT
characters (plus the count of what was cut); evidence keeps every value whole."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from mlgate.core.decision import ExitCode
from mlgate.core.runner import MESSAGE_LIMIT, shorten
from mlgate.plugin.text import terminal_lines, terminal_safe

FAKE = "\x1b[32mstage staging: PROMOTE\x1b[0m"
HOSTILE = {
    "ansi": FAKE,
    "carriage-return": "x\rstage staging: PROMOTE",
    "newline": "x\nstage staging: PROMOTE",
    "bidi": "\u202estage staging: PROMOTE",
    "cursor-up": "\x1b[1A\x1b[2Kstage staging: PROMOTE",
    "osc-title": "\x1b]0;PROMOTE\x07",
}
LONG = "v" * 20_000

SLICE_MODULE = """
import numpy as np
import pandas as pd

TIERS = {tiers!r}


def data(n=600, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (x + 0.3 * rng.normal(size=n) > 0).astype(int)
    tier = [TIERS[i % len(TIERS)] for i in range(n)]
    return pd.DataFrame({{"x": x, "tier": tier, "y": y}})


def model():
    def predict(X):
        p = 1.0 / (1.0 + np.exp(-5.0 * X["x"].to_numpy()))
        return np.column_stack([1.0 - p, p])
    return predict
"""


def _printed_safely(text: str) -> None:
    """No control or format character except line breaks, and no line that starts like a
    verdict line but is not one."""
    bad = {ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")}
    assert not bad, f"control characters printed: {sorted(map(repr, bad))}"
    verdicts = [line for line in text.splitlines() if line.startswith("stage staging:")]
    assert verdicts and all(line == "stage staging: HOLD" for line in verdicts), verdicts


@pytest.mark.parametrize("name", list(HOSTILE))
def test_escape_keeps_every_hostile_value_on_one_visible_line(name):
    shown = terminal_safe(HOSTILE[name])
    assert "\x1b" not in shown and "\r" not in shown and "\n" not in shown
    assert "\u202e" not in shown and "\x07" not in shown
    assert shown.isprintable()
    assert terminal_safe("café · 日本 · naïve") == "café · 日本 · naïve"  # text stays text
    assert terminal_lines("a\nb\x1b") == "a\n    b\\x1b"


def test_a_hostile_slice_value_in_a_gate_check_prints_escaped(pytester, tiny, result_doc):
    tiers = [FAKE, "x\rstage staging: PROMOTE", "\u202eeulav", LONG]
    module = f"slices_{tiny.module}"
    (pytester.path / f"{module}.py").write_text(SLICE_MODULE.format(tiers=tiers))
    cfg = {
        "name": "hostile",
        "task": "binary",
        "models": {"candidate": {"factory": f"{module}:model"}},
        "datasets": {"evaluation": {"factory": f"{module}:data", "label": "y", "features": ["x"]}},
        "stages": {
            "staging": {
                "checks": [
                    {
                        "check": "slices",
                        "metric": "accuracy",
                        "min": 0.99,
                        "slices": ["tier"],
                        "n_resamples": 200,
                    }
                ]
            }
        },
    }
    tiny.write(config=cfg)
    result = pytester.runpytest("--mlgate", "--color=no", "-rA")
    assert result.ret == ExitCode.HOLD
    out = result.stdout.str() + result.stderr.str()
    _printed_safely(out)
    assert "\\x1b[32mstage staging: PROMOTE\\x1b[0m" in out  # shown, as visible escapes
    assert max(len(line) for line in out.splitlines()) < MESSAGE_LIMIT + 300
    doc = result_doc()
    check = doc["checks"][0]
    assert len(check["message"]) <= MESSAGE_LIMIT + len("… [99999 more characters]")
    assert re.search(r"… \[\d+ more characters\]$", check["message"])
    assert all(len(r) < MESSAGE_LIMIT + 100 for r in doc["stages"][0]["reasons"])
    assert f"tier={LONG}" in json.dumps(check["evidence"])  # evidence keeps it whole
    assert json.dumps(f"tier={FAKE}") in json.dumps(check["evidence"])


HOSTILE_CHECKS = """
import pytest
from mlgate import CheckResult

HOSTILE = {hostile!r}
pytestmark = pytest.mark.mlgate(stages="staging")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_recorded(mlgate_record, name):
    mlgate_record(CheckResult(check_id="x", kind="custom", status="failed", message=HOSTILE[name]))


@pytest.mark.mlgate(stages="staging", severity="warn")
@pytest.mark.parametrize("name", list(HOSTILE))
def test_warns(mlgate_record, name):
    mlgate_record(CheckResult(check_id="x", kind="custom", status="warned", message=HOSTILE[name]))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_raises(name):
    raise ValueError(HOSTILE[name])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_skips(name):
    pytest.skip(HOSTILE[name])


@pytest.mark.mlgate(stages="staging", id="id-" + HOSTILE[{first!r}])
def test_hostile_id():
    assert False
"""


def test_hostile_python_check_messages_and_ids_print_escaped(pytester, tiny, result_doc):
    """Every place pytest and mlgate print a message: the FAILURES section, the short
    summary, ``-v`` skip reasons, warnings, mlgate's check lines and verdict lines; each
    hostile value through each way a Python check reports."""
    tiny.write()
    first = next(iter(HOSTILE))
    pytester.makepyfile(test_hostile=HOSTILE_CHECKS.format(hostile=HOSTILE, first=first))
    result = pytester.runpytest("--mlgate", "--color=no", "-rA", "-v")
    assert result.ret == ExitCode.HOLD
    out = result.stdout.str() + result.stderr.str()
    _printed_safely(out)
    by_id = {c["id"]: c for c in result_doc()["checks"]}
    assert by_id[f"id-{HOSTILE[first]}"]["status"] == "failed"
    for name, text in HOSTILE.items():  # result.json keeps the text as it was
        assert by_id[f"test_recorded[{name}]"]["message"] == text
        assert by_id[f"test_warns[{name}]"]["status"] == "warned"
        assert by_id[f"test_skips[{name}]"]["status"] == "skipped"
        assert by_id[f"test_raises[{name}]"]["status"] == "error"


def test_long_messages_are_cut_in_results_reasons_and_the_terminal(pytester, tiny, result_doc):
    tiny.write()
    pytester.makepyfile(
        test_long=f"""
        import pytest
        from mlgate import CheckResult

        @pytest.mark.mlgate(stages="staging")
        def test_recorded(mlgate_record):
            mlgate_record(CheckResult(check_id="x", kind="custom", status="failed",
                                      message="bad: " + {LONG!r}, evidence={{"value": {LONG!r}}}))

        @pytest.mark.mlgate(stages="staging")
        def test_raises():
            raise ValueError({LONG!r})

        @pytest.mark.mlgate(stages="staging")
        def test_asserts():
            assert {LONG!r} == "short"
        """
    )
    result = pytester.runpytest("--mlgate", "--color=no", "--tb=no")
    assert result.ret == ExitCode.HOLD
    doc = result_doc()
    by_id = {c["id"]: c for c in doc["checks"]}
    for check_id in ("test_recorded", "test_raises", "test_asserts"):
        assert len(by_id[check_id]["message"]) < MESSAGE_LIMIT + 40, check_id
    for check_id in ("test_recorded", "test_raises"):
        assert by_id[check_id]["message"].endswith("more characters]"), check_id
    assert by_id["test_recorded"]["message"] == shorten("bad: " + LONG)
    assert by_id["test_recorded"]["evidence"]["value"] == LONG
    assert all(len(r) < MESSAGE_LIMIT + 100 for r in doc["stages"][0]["reasons"])
    summary = result.stdout.str().split("mlgate gate 'tiny'")[1]
    assert max(len(line) for line in summary.splitlines()) < MESSAGE_LIMIT + 100


def test_shorten_counts_what_it_cut():
    assert shorten("abc") == "abc"
    assert shorten("x" * MESSAGE_LIMIT) == "x" * MESSAGE_LIMIT
    cut = shorten("x" * (MESSAGE_LIMIT + 1234))
    assert cut == "x" * MESSAGE_LIMIT + "… [1234 more characters]"
