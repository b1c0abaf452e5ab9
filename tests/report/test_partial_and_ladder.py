"""A partial run never looks like a verdict (report banner and title, Markdown summary, model
card), and the stages show as a ladder in gate-file order with the stage the model reached:
the last of the stages promoted in a row from the first. The report's ladder and the
history's ``stage_reached`` follow the same rule (one table of cases for both)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from mlgate.history.rows import stage_reached
from mlgate.report.card import card_html, card_markdown
from mlgate.report.html import render_html
from mlgate.report.markdown import render_summary
from mlgate.report.views import stage_ladder

DOC = Path(__file__).parent / "data" / "result.json"
HOSTILE = "<script>alert(1)</script>"
LADDER = ("offline", "shadow", "canary", "production")


def staged(doc: dict, verdicts: tuple[str, ...], names=LADDER) -> dict:
    """``doc`` with one stage per verdict, in that (gate-file) order; every check in all."""
    doc = copy.deepcopy(doc)
    counts = {"passed": 1, "failed": 0, "warned": 0, "inconclusive": 0, "error": 0, "skipped": 0}
    doc["stages"] = [
        {"name": n, "verdict": v, "reasons": [], "counts": dict(counts)}
        for n, v in zip(names, verdicts, strict=False)
    ]
    doc["run"]["stages"] = list(names[: len(verdicts)])
    for c in doc["checks"]:
        c["stages"] = list(names[: len(verdicts)])
    order = ("hold", "promote_with_warnings", "promote")
    doc["verdict"] = next(v for v in order if v in verdicts)
    return doc


def partial(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc["run"]["partial"] = True
    doc["run"]["partial_reason"] = "3 of 8 planned checks did not run: 3 deselected (-k)"
    return doc


@pytest.fixture
def doc() -> dict:
    return json.loads(DOC.read_text())


CASES = [
    (("promote", "promote_with_warnings", "hold", "promote"), "shadow"),
    (("promote", "promote", "promote", "promote"), "production"),
    (("hold", "promote", "promote", "promote"), None),
    (("promote_with_warnings",), "offline"),
    ((), None),
]


@pytest.mark.parametrize(("verdicts", "reached"), CASES)
def test_the_report_and_the_history_agree_on_the_stage_reached(doc, verdicts, reached):
    d = staged(doc, verdicts) if verdicts else {**doc, "stages": []}
    assert stage_ladder(d).reached == reached
    assert stage_reached(d) == reached
    # a partial run reaches no stage, whatever its stage verdicts
    assert stage_ladder(partial(d)).reached is None
    assert stage_reached(partial(d)) is None


def test_the_ladder_in_the_report(doc):
    d = staged(doc, ("promote", "promote_with_warnings", "hold", "promote"))
    html = render_html(d)
    section = html.split('<section id="verdicts"')[1].split("</section>")[0]
    assert "Stage ladder in gate-file order — reached shadow (2 of 4 stages)." in section
    rungs = re.findall(r'<li class="verdict v-(\S+) rung-(\w+)">\s*<div class="stage">(.*?)</div>',
                       section)  # fmt: skip
    assert rungs == [
        ("promote", "reached", "1. offline"),
        ("promote_with_warnings", "reached", "2. shadow"),
        ("hold", "held", "3. canary"),
        ("promote", "after", "4. production"),
    ]
    # production promoted on its own checks, but a model held at canary does not get there
    assert "not reached: a stage before it held" in section
    assert section.count('<li class="step" aria-hidden="true">→</li>') == 3


def test_the_ladder_in_the_summary_and_the_card(doc):
    d = staged(doc, ("promote", "promote_with_warnings", "hold", "promote"))
    summary = render_summary(d)
    assert (
        "**Stage ladder:** offline ✅ → shadow ✅ → canary ❌ → production ⏸️ — reached shadow "
        "(2 of 4 stages)"
    ) in summary
    card = card_markdown(d)
    assert "reached shadow (2 of 4 stages)" in card
    assert "offline (promote) → shadow (promote with warnings) → canary (hold)" in card
    held = render_summary(staged(doc, ("hold", "promote")))
    assert "held at offline: no stage reached" in held


def test_hostile_stage_names_in_the_ladder_are_text(doc):
    d = staged(doc, ("promote", "hold"), names=(HOSTILE, "b"))
    html = render_html(d)
    assert HOSTILE not in html and "&lt;script&gt;" in html
    summary = render_summary(d)
    assert HOSTILE not in summary
    assert "<script>" not in card_html(d) and "<script>" not in card_markdown(d)


def test_a_partial_run_is_never_shown_as_a_verdict(doc):
    d = partial(staged(doc, ("promote", "promote")))  # every stage promoted on what ran
    html = render_html(d)
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title.startswith("PARTIAL RUN · ")
    banner = html.split("<header")[1].split("</header>")[0]
    assert 'class="banner v-partial"' in banner
    h1 = re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", banner, re.S).group(1))
    assert h1.startswith("PARTIAL RUN") and "PROMOTE" not in h1
    assert "Not a final verdict:" in banner and "3 deselected (-k)" in banner
    assert "partial run: no stage is reached until every planned check has run" in html
    # every stage box says its verdict is not final, none is coloured as a verdict
    assert html.count("on the checks that ran: not final") == 2
    assert "reached</div>" not in html and 'class="verdict v-promote' not in html

    summary = render_summary(d)
    first = summary.splitlines()[0]
    assert first.endswith("— **PARTIAL RUN**") and "PROMOTE" not in first
    assert "> ⚠️ **Not a final verdict:** 3 of 8 planned checks did not run" in summary

    md = card_markdown(d)
    assert "**Partial run, not a final verdict:**" in md
    assert "PARTIAL RUN, not a final verdict: 3 of 8 planned checks did not run" in md
    card = card_html(d)
    badge = re.search(r'<span class="badge ([^"]*)">([^<]*)</span>', card)
    assert badge.groups() == ("v-partial", "PARTIAL RUN")


def test_a_complete_run_keeps_its_verdict(doc):
    d = staged(doc, ("promote", "promote"))
    html = render_html(d)
    assert re.search(r"<title>(.*?)</title>", html).group(1).startswith("PROMOTE · ")
    assert "PARTIAL" not in html and "PARTIAL" not in render_summary(d)
    assert "PARTIAL" not in card_markdown(d)
