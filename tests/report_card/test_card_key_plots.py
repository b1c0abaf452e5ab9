"""The model card's key plots (confusion matrices and the ROC / PR curves of metric checks,
reliability diagrams, per-slice bars with their intervals, the candidate's paired difference
to the champion, each with its bound) and a compact card: each
check's section folded, long tables folded, headers that never break inside a word, verdicts
as words; the Markdown card parsed with CommonMark holds no markup from data."""

from __future__ import annotations

import itertools
import re
import shutil

import pytest
from markdown_it import MarkdownIt

from mlgate.report.card import build_card, card_html, card_markdown
from mlgate.report.card.analyses import key_plots
from mlgate.report.card.layout import card_document


def _sections(sections):
    for s in sections:
        yield s
        yield from _sections(s.children)


def test_the_key_plots_are_reliability_slices_and_the_champion(kinds_result):
    card = build_card(kinds_result)
    plots = key_plots(card)
    assert [(p.caption.split(":")[0], p.plot.type) for p in plots] == [
        ("accuracy", "matrix"),  # the confusion matrix of the accuracy check
        ("roc_auc", "curve"),  # the ROC curve of the roc_auc check
        ("slice-accuracy", "bars"),  # per slice, with intervals
        ("ece", "reliability"),
        ("non-inferior-to-champion", "bars"),  # the paired difference, with its interval
    ]
    # bars over slices without intervals (the intersections) are not a key plot
    assert all("intersections" not in p.caption.lower() for p in plots)


def test_the_key_plots_come_first_in_the_quantitative_analyses(kinds_result):
    (quant,) = [
        s for s in card_document(build_card(kinds_result)) if s.anchor == "quantitative-analyses"
    ]
    assert [c.title for c in quant.children][:2] == ["Key plots", "Overall metrics"]
    html = card_html(kinds_result)
    key = html.split('<section id="key-plots">')[1].split("</section>")[0]
    assert key.count("<svg") == 5 and key.count("<figcaption>") == 5
    # the champion comparison carries its margins: one bound per metric
    assert "need ≥ -0.01" in key and "need ≥ -0.05" in key
    md = card_markdown(kinds_result)
    assert "### Key plots" in md and "- ece: Reliability" in md


def test_each_checks_section_is_folded_and_says_its_status(kinds_result):
    html = card_html(kinds_result)
    folded = re.findall(r'<details class="section" id="([^"]+)">\s*<summary>(.*?)</summary>', html,
                        re.S)  # fmt: skip
    card = build_card(kinds_result)
    assert len(folded) == len(card.all_checks) - len(card.metrics)
    summaries = dict(folded)
    (slices,) = [v for k, v in summaries.items() if k.startswith("analysis-0-slice-accuracy")]
    assert "passed · accuracy = 0.89, needs ≥ 0.8" in slices


def test_long_tables_are_folded_and_headers_do_not_break(kinds_result):
    rows = [{"window": i, "value": 0.5} for i in range(15)]
    kinds_result["checks"][-1]["evidence"]["timeline"] = {
        "type": "table", "title": "per window", "rows": rows, "columns": ["window", "value"]
    }  # fmt: skip
    html = card_html(kinds_result)
    # tables of more than 10 rows, folded with their count; shorter ones stay open
    folded = re.findall(r'<details><summary>([^<]*) <span class="note">\((\d+) rows\)', html)
    assert folded == [("Timeline — per window", "15")]
    assert re.search(r"th \{[^}]*white-space: nowrap", html)


def test_a_long_column_name_is_cut_in_the_header(kinds_result):
    long = "column_" + "x" * 300
    kinds_result["checks"][-1]["evidence"]["features"]["rows"][0][long] = 1
    kinds_result["checks"][-1]["evidence"]["features"]["columns"].append(long)
    html = card_html(kinds_result)
    assert f'<th scope="col"><span title="{long}">column_xxx' in html
    headers = re.findall(r"<th scope=\"col\">(.*?)</th>", html)
    assert all(len(re.sub(r"<[^>]+>", "", h)) <= 40 for h in headers)


def test_verdicts_are_words_on_the_card(result):
    result["verdict"] = "promote_with_warnings"
    result["stages"][0]["verdict"] = "promote_with_warnings"
    html, md = card_html(result), card_markdown(result)
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S)
    assert "promote_with_warnings" not in text and "PROMOTE WITH WARNINGS" in text
    assert "promote_with_warnings" not in md.split("\n---\n", 1)[1].replace("\\_", "_")
    assert 'class="st-promote_with_warnings">PROMOTE WITH WARNINGS</td>' in html


def test_the_markdown_card_holds_no_markup_from_data(hostile_result):
    body = card_markdown(hostile_result).split("\n---\n", 1)[1]
    tokens = []
    for t in MarkdownIt("commonmark").enable("table").parse(body):
        tokens += [t, *(t.children or [])]
    kinds = {t.type for t in tokens}
    assert not kinds & {"image", "html_inline", "html_block", "fence"}
    # code spans are the card's own: the gate-file key of a missing field
    assert all(t.content.startswith("model_card.") for t in tokens if t.type == "code_inline")
    links = [t.attrs.get("href") for t in tokens if t.type == "link_open"]
    assert set(links) <= {"https://archive.ics.uci.edu/dataset/17"}  # the card author's reference
    headings = [n.content for t, n in itertools.pairwise(tokens) if t.type == "heading_open"]
    assert headings and not any("<" in h for h in headings)  # data in a heading is escaped
    assert not re.search(r"(?<!\\)://", body.replace("](https://archive", ""))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (installed by .ci/run)")
def test_the_card_is_a_few_screens_and_a_long_value_widens_nothing(kinds_result, tmp_path):
    from playwright.sync_api import sync_playwright

    long = "tier-" + "x" * 20_000
    (slices,) = [c for c in kinds_result["checks"] if c["id"] == "slice-accuracy"]
    slices["evidence"]["per_slice"]["labels"][0] = long  # a slice value
    slices["message"] = f"slice {long} holds"
    path = tmp_path / "model_card.html"
    path.write_text(card_html(kinds_result), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        sizes = {}
        for width in (1200, 480):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(path.as_uri())
            sizes[width] = page.evaluate(
                "[document.documentElement.clientWidth, document.documentElement.scrollWidth,"
                " document.body.scrollHeight]"
            )
            page.screenshot(path=str(tmp_path / f"model_card-{width}.png"), full_page=True)
            page.close()
        browser.close()
    print(f"screenshots: {tmp_path}/model_card-1200.png, model_card-480.png")
    for width, (viewport, page_width, _) in sizes.items():
        assert page_width <= viewport, width  # nothing scrolls sideways
    assert sizes[1200][2] < 9000  # folded: a few screens, not 20,000 px
