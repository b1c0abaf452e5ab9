"""Every check family uses the kernel's verdict primitives, never a copy of its own.

The kernel owns the status precedence (``Status.worst``), the judgement of an interval
against a bound (``Threshold.judge``), the Wilson interval (``mlgate.stats.intervals``) and
the rounding of evidence (``mlgate.core.result.rounded``). A family that re-derives any of
them drifts from the others (they did: 8 bound judgements, 8 precedences, 2 Wilson
intervals, 5 roundings), so this test reads the source of every family and plugin.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAMILY_SOURCES = sorted(
    [*(REPO / "mlgate" / "checks").rglob("*.py"), *(REPO / "plugins").rglob("src/**/*.py")]
    + [p for p in (REPO / "plugins").glob("*/mlgate_*/*.py")]
)

#: (what is forbidden, pattern, what to use instead)
FORBIDDEN = [
    (
        "a status order of its own",
        re.compile(r"\(\s*Status\.[A-Z]+\s*,\s*Status\.[A-Z]+"),
        "Status.worst(parts) (mlgate.core.result.PRECEDENCE)",
    ),
    (
        "a worst-status function of its own",
        re.compile(r"def\s+_?worst\w*\s*\("),
        "Status.worst(parts)",
    ),
    (
        "a Wilson interval of its own",
        re.compile(r"def\s+\w*wilson\w*\s*\(", re.IGNORECASE),
        "mlgate.stats.intervals.wilson_interval",
    ),
    (
        "a bound judged on interval ends by hand",
        re.compile(r"\b\w+\.(?:low|high)\s*(?:<=|>=|<|>)\s*\w+\.?(?:bound|value)?\b"),
        "Threshold(op, bound).judge(interval)",
    ),
    (
        "evidence rounded by hand",
        re.compile(r"(?<![\w.])round\([^()]*(?:\([^()]*\))?[^()]*,\s*\d+\s*\)|\.round\(\s*\d"),
        "mlgate.core.result.rounded(x) (or rounded(x, significant=True))",
    ),
]


def _hits(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    out = []
    for what, pattern, instead in FORBIDDEN:
        for m in pattern.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            out.append(f"{path.relative_to(REPO)}:{line}: {what} ({m.group(0)!r}); use {instead}")
    return out


def test_there_are_family_sources_to_read():
    assert len(FAMILY_SOURCES) > 30


@pytest.mark.parametrize("path", FAMILY_SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_family_uses_the_kernel_verdict_primitives(path: Path):
    assert _hits(path) == []


def test_the_patterns_catch_what_they_forbid(tmp_path: Path):
    """The grep is only worth something if it finds the copies it is meant to find."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "_ORDER = (Status.FAILED, Status.ERROR)\n"
        "def _worst(s):\n    pass\n"
        "def wilson_interval(k, n):\n    pass\n"
        "ok = ci.low >= t.bound\n"
        "x = round(value, 6)\n"
        "y = arr.round(4)\n",
        encoding="utf-8",
    )
    found = _hits_at(bad)
    assert len(found) == 6, found


def _hits_at(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [m.group(0) for _, pattern, _ in FORBIDDEN for m in pattern.finditer(text)]
